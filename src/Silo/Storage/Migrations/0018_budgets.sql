-- R32: a project's budget in hours or money, with a warning and a critical threshold. Each PUT makes a new budget
-- (a new id), so its thresholds can be crossed, and recorded, again; a crossing is recorded once per budget and
-- threshold, whichever node sees it first (the primary key decides).
CREATE TABLE project_budgets (
    org_id           uuid NOT NULL,
    project_id       uuid NOT NULL,
    id               uuid NOT NULL UNIQUE,
    kind             text NOT NULL CHECK (kind IN ('hours', 'money')),
    limit_value      numeric(14, 2) NOT NULL CHECK (limit_value > 0),
    warn_percent     integer NOT NULL CHECK (warn_percent BETWEEN 1 AND 1000),
    critical_percent integer NOT NULL CHECK (critical_percent BETWEEN 1 AND 1000),
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (org_id, project_id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
    CHECK (warn_percent <= critical_percent)
);

CREATE TABLE budget_crossings (
    org_id      uuid NOT NULL,
    budget_id   uuid NOT NULL,
    project_id  uuid NOT NULL,
    threshold   text NOT NULL CHECK (threshold IN ('warn', 'critical')),
    used        numeric(14, 2) NOT NULL,
    crossed_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, budget_id, threshold)
);
