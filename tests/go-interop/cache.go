package main

func cacheWrite(args []string) error { usage(); return nil }
func cacheRead(args []string) error  { usage(); return nil }
