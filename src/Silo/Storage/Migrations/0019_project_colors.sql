-- Projects have a colour of their own: the dot that tells them apart in lists, pickers and reports. A client or project
-- inserted without one takes the palette's next colour in its org, in turn, so new ones differ from the last ones;
-- existing projects take the palette's colours in the order they were created.
CREATE FUNCTION hd_palette_color(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['#4f46e5', '#0891b2', '#16a34a', '#d97706', '#dc2626', '#9333ea',
                  '#db2777', '#0d9488', '#2563eb', '#65a30d', '#ea580c', '#475569'])[1 + (n % 12)::int]
$$;

CREATE FUNCTION hd_default_color() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.color IS NULL THEN
        EXECUTE format('SELECT hd_palette_color(count(*)) FROM %I WHERE org_id = $1', TG_TABLE_NAME) INTO NEW.color USING NEW.org_id;
    END IF;
    RETURN NEW;
END $$;

ALTER TABLE projects ADD COLUMN color text;
UPDATE projects p SET color = hd_palette_color(n.rn - 1)
FROM (SELECT org_id, id, row_number() OVER (PARTITION BY org_id ORDER BY created_at, id) AS rn FROM projects) n
WHERE n.org_id = p.org_id AND n.id = p.id;
ALTER TABLE projects ALTER COLUMN color SET NOT NULL;
CREATE TRIGGER projects_default_color BEFORE INSERT ON projects FOR EACH ROW EXECUTE FUNCTION hd_default_color();
CREATE TRIGGER clients_default_color BEFORE INSERT ON clients FOR EACH ROW EXECUTE FUNCTION hd_default_color();

-- R23: project names are unique within a client among non-archived projects, compared trimmed and case-insensitively.
-- Projects that already share a name keep the oldest as it is; the others get the first free " (2)", " (3)", … (free
-- among the client's open projects, renamed ones included), so the index can hold whatever names exist.
DO $$
DECLARE
    dup record;
    n int;
BEGIN
    FOR dup IN
        SELECT org_id, id, client_id, btrim(name) AS name
        FROM (SELECT org_id, id, client_id, name, created_at,
                     row_number() OVER (PARTITION BY org_id, client_id, lower(btrim(name)) ORDER BY created_at, id) AS rn
              FROM projects WHERE NOT archived) d
        WHERE rn > 1
        ORDER BY created_at, id
    LOOP
        n := 2;
        WHILE EXISTS (SELECT 1 FROM projects
                      WHERE org_id = dup.org_id AND client_id = dup.client_id AND NOT archived AND id <> dup.id
                        AND lower(btrim(name)) = lower(dup.name || ' (' || n || ')')) LOOP
            n := n + 1;
        END LOOP;
        UPDATE projects SET name = dup.name || ' (' || n || ')' WHERE org_id = dup.org_id AND id = dup.id;
    END LOOP;
END $$;
CREATE UNIQUE INDEX projects_unique_open_name ON projects (org_id, client_id, lower(btrim(name))) WHERE NOT archived;
