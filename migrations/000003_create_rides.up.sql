CREATE TABLE rides (
    id           bigserial PRIMARY KEY,
    rider_id     uuid NOT NULL REFERENCES users (id),
    driver_id    uuid REFERENCES users (id),
    status       text NOT NULL DEFAULT 'requested'
                 CHECK (status IN ('requested', 'assigned', 'in_progress', 'completed', 'cancelled')),
    pickup       text NOT NULL,
    dropoff      text NOT NULL,
    fare_cents   bigint CHECK (fare_cents >= 0),
    requested_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);

CREATE INDEX rides_rider_idx ON rides (rider_id, requested_at DESC);
