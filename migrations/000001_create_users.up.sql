-- Riders and drivers share one table; `role` tells them apart.
CREATE TABLE users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email       text NOT NULL UNIQUE,
    name        text NOT NULL,
    role        text NOT NULL DEFAULT 'rider' CHECK (role IN ('rider', 'driver', 'admin')),
    status      text NOT NULL DEFAULT 'active',
    created_at  timestamptz NOT NULL DEFAULT now()
);
