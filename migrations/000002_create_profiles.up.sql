CREATE TABLE profiles (
    user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    phone       text,
    city        text NOT NULL DEFAULT 'Maputo',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Keeps updated_at current; the $$ body holds semicolons and must reach the server whole.
CREATE OR REPLACE FUNCTION profiles_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER profiles_touch BEFORE UPDATE ON profiles
    FOR EACH ROW EXECUTE FUNCTION profiles_touch();
