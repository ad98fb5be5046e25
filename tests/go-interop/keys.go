package main

import (
	"fmt"
	"strconv"

	"github.com/google/uuid"
)

// keys prints one cache key per line, "<name> <key>", built the way a Go service following
// txova-go-db's conventions builds them: {service}:{entity}:{id},
// {service}:{entity}:list:{params} and {service}:config:{key}, with fmt and google/uuid.
func keys(args []string) error {
	if len(args) != 4 {
		usage()
	}
	id, err := uuid.Parse(args[0])
	if err != nil {
		return err
	}
	number, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil {
		return err
	}
	page, err := strconv.ParseUint(args[2], 10, 32)
	if err != nil {
		return err
	}
	word := args[3]
	for _, line := range [][2]string{
		{"user_profile", fmt.Sprintf("user:profile:%s", id)},
		{"ride_detail", fmt.Sprintf("ride:detail:%d", number)},
		{"ride_history", fmt.Sprintf("ride:history:list:user:%s:page:%d", id, page)},
		{"driver_nearby", "driver:nearby:list:city:" + word + ":page:" + strconv.FormatUint(page, 10)},
		{"pricing", "pricing:config:" + word},
		{"user_entity", "user:profile:" + id.String()},
		{"ride_entity", "ride:detail:" + strconv.FormatInt(number, 10)},
	} {
		fmt.Println(line[0], line[1])
	}
	return nil
}
