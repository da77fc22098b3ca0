using Hourdini.Grains.Common;
using Hourdini.Grains.Projects;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Catalog;

public sealed record ClientPatch(string? Name, string? Currency, decimal? DefaultRate, string? Color, bool? Archived);

public sealed record ProjectPatch(
    string? Name, decimal? Rate, bool ClearRate, bool? BillAgentTime, bool? Archived, decimal? AgentRate = null, bool ClearAgentRate = false, string? Color = null);

/// <summary>Clients and projects of an org. A viewer (<c>viewerId</c> set) sees only clients granted to them.</summary>
public sealed class CatalogStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string ProjectColumns = """
        p.id, p.client_id, p.name, p.rate, p.bill_agent_time, p.archived, p.created_at, p.agent_rate, p.color,
        c.currency, c.default_rate, c.archived AS client_archived
        """;

    private const string ViewerFilter =
        "($VIEWER::uuid IS NULL OR EXISTS (SELECT 1 FROM client_grants g WHERE g.org_id = c.org_id AND g.client_id = c.id AND g.user_id = $VIEWER))";

    /// <remarks>
    /// The id derives from the request's <c>Idempotency-Key</c> (<see cref="IdempotentRequest.NewId"/>): a keyed request
    /// run again after a crash finds the client it created and answers with it. Without a <paramref name="color"/> the
    /// database gives the palette's next one (migration 0019).
    /// </remarks>
    public Task<Client> CreateClientAsync(Guid orgId, string name, string currency, decimal defaultRate, string? color, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var now = clock.UtcNowMs();
            var id = IdempotentRequest.NewId(now, "client");
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
            await using (var reader = await connection.QueryAsync(
                """
                INSERT INTO clients (org_id, id, name, currency, default_rate, color, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (org_id, id) DO NOTHING RETURNING color
                """,
                ct, orgId, id, name, currency, defaultRate, Db.Nullable(color, NpgsqlDbType.Text), now))
            {
                if (await reader.ReadAsync(ct))
                {
                    return new Client(id, name, currency, defaultRate, reader.GetString(0), false, now);
                }
            }

            return await GetClientAsync(orgId, id, null, ct) ?? throw new InvalidOperationException("A client created by this request is gone.");
        });

    public Task<IReadOnlyList<Client>> ListClientsAsync(Guid orgId, Guid? viewerId, CancellationToken ct) =>
        QueryClientsAsync($"c.org_id = $1 AND {ViewerFilter.Replace("$VIEWER", "$2")} ORDER BY lower(c.name), c.id", ct, orgId, Viewer(viewerId));

    public async Task<Client?> GetClientAsync(Guid orgId, Guid clientId, Guid? viewerId, CancellationToken ct) =>
        (await QueryClientsAsync($"c.org_id = $1 AND c.id = $2 AND {ViewerFilter.Replace("$VIEWER", "$3")}", ct, orgId, clientId, Viewer(viewerId)))
        .SingleOrDefault();

    /// <summary>Updates a client; its currency is fixed once it has entries.</summary>
    public Task<Client> UpdateClientAsync(Guid orgId, Guid clientId, ClientPatch patch, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            Client current;
            await using (var reader = await connection.QueryAsync(
                "SELECT c.* FROM clients c WHERE c.org_id = $1 AND c.id = $2 FOR UPDATE", ct, orgId, clientId))
            {
                current = await reader.ReadAsync(ct) ? ReadClient(reader) : throw Refusal.NotFound("Client");
            }

            if (patch.Currency is { } currency && currency != current.Currency)
            {
                await using var reader = await connection.QueryAsync(
                    """
                    SELECT EXISTS (SELECT 1 FROM time_entries e JOIN projects p ON p.org_id = e.org_id AND p.id = e.project_id
                                   WHERE p.org_id = $1 AND p.client_id = $2)
                        OR EXISTS (SELECT 1 FROM sessions s JOIN projects p ON p.org_id = s.org_id AND p.id = s.project_id
                                   WHERE p.org_id = $1 AND p.client_id = $2)
                    """, ct, orgId, clientId);
                await reader.ReadAsync(ct);
                if (reader.GetBoolean(0))
                {
                    throw Refusal.Conflict("currency_locked", "The client's currency cannot change once it has time entries.");
                }
            }

            var updated = current with
            {
                Name = patch.Name ?? current.Name,
                Currency = patch.Currency ?? current.Currency,
                DefaultRate = patch.DefaultRate ?? current.DefaultRate,
                Color = patch.Color ?? current.Color,
                Archived = patch.Archived ?? current.Archived,
            };
            await using (var command = new NpgsqlCommand(
                "UPDATE clients SET name = $3, currency = $4, default_rate = $5, color = $6, archived = $7 WHERE org_id = $1 AND id = $2",
                connection, transaction))
            {
                foreach (var value in new object[] { orgId, clientId, updated.Name, updated.Currency, updated.DefaultRate, updated.Color, updated.Archived })
                {
                    command.Parameters.Add(Db.Parameter(value));
                }

                await command.ExecuteNonQueryAsync(ct);
            }

            await transaction.CommitAsync(ct);
            return updated;
        });

    /// <remarks>
    /// The id derives from the request's <c>Idempotency-Key</c>, as a client's does; without a <paramref name="color"/> the
    /// database gives the palette's next one. R23: an open project of the client with the same name is a 409.
    /// </remarks>
    public Task<Project?> CreateProjectAsync(
        Guid orgId, Guid clientId, string name, decimal? rate, bool billAgentTime, CancellationToken ct, decimal? agentRate = null, string? color = null) =>
        UniqueNameAsync(name, async () =>
        {
            var now = clock.UtcNowMs();
            var id = IdempotentRequest.NewId(now, "project");
            if (IdempotentRequest.Recovering && await GetProjectAsync(orgId, id, null, ct) is { } created)
            {
                return created;
            }

            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                $"""
                WITH p AS (
                    INSERT INTO projects (org_id, id, client_id, name, rate, bill_agent_time, created_at, agent_rate, color)
                    SELECT $1, $2, c.id, $4, $5, $6, $7, $8, $9 FROM clients c WHERE c.org_id = $1 AND c.id = $3
                    RETURNING *)
                SELECT {ProjectColumns} FROM p JOIN clients c ON c.org_id = p.org_id AND c.id = p.client_id
                """,
                ct, orgId, id, clientId, name, Db.Nullable(rate, NpgsqlDbType.Numeric), billAgentTime, now, Db.Nullable(agentRate, NpgsqlDbType.Numeric),
                Db.Nullable(color, NpgsqlDbType.Text));
            return await reader.ReadAsync(ct) ? ReadProject(reader) : null;
        });

    /// <summary>Projects whose name contains <paramref name="nameContains"/>, case-insensitively.</summary>
    public Task<IReadOnlyList<Project>> ListProjectsAsync(
        Guid orgId, string? nameContains, bool includeArchived, Guid? viewerId, CancellationToken ct) =>
        QueryProjectsAsync(
            $"""
            p.org_id = $1 AND ($2::text IS NULL OR strpos(lower(p.name), lower($2)) > 0)
            AND ($3 OR NOT (p.archived OR c.archived)) AND {ViewerFilter.Replace("$VIEWER", "$4")}
            ORDER BY lower(p.name), p.id
            """,
            ct, orgId, Db.Nullable(nameContains, NpgsqlDbType.Text), includeArchived, Viewer(viewerId));

    /// <summary>
    /// R22: the org's projects that take work (neither they nor their client archived) as an agent sees them, by partial
    /// name or by id. Read with their own query, so no rate ever leaves the database for an agent.
    /// </summary>
    public Task<IReadOnlyList<ProjectBrief>> ListProjectBriefsAsync(Guid orgId, string? nameContains, Guid? projectId, CancellationToken ct) =>
        dataSource.ListAsync(
            """
            SELECT p.id, p.name, c.name AS client_name, p.bill_agent_time
            FROM projects p JOIN clients c ON c.org_id = p.org_id AND c.id = p.client_id
            WHERE p.org_id = $1 AND NOT (p.archived OR c.archived)
              AND ($2::text IS NULL OR strpos(lower(p.name), lower($2)) > 0)
              AND ($3::uuid IS NULL OR p.id = $3)
            ORDER BY lower(p.name), p.id
            """,
            r => new ProjectBrief(r.Get<Guid>("id"), r.Get<string>("name")!, r.Get<string>("client_name")!, r.Get<bool>("bill_agent_time")),
            ct, orgId, Db.Nullable(nameContains, NpgsqlDbType.Text), Db.Nullable(projectId, NpgsqlDbType.Uuid));

    /// <summary>The names of these projects of the org, archived ones too (what an MCP result names beside their ids).</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> ProjectNamesAsync(Guid orgId, IReadOnlyCollection<Guid> projectIds, CancellationToken ct) =>
        (await dataSource.ListAsync(
            "SELECT id, name FROM projects WHERE org_id = $1 AND id = ANY ($2)",
            r => (Id: r.GetGuid(0), Name: r.GetString(1)), ct, orgId, projectIds.ToArray()))
        .ToDictionary(p => p.Id, p => p.Name);

    public async Task<Project?> GetProjectAsync(Guid orgId, Guid projectId, Guid? viewerId, CancellationToken ct) =>
        (await QueryProjectsAsync($"p.org_id = $1 AND p.id = $2 AND {ViewerFilter.Replace("$VIEWER", "$3")}", ct, orgId, projectId, Viewer(viewerId)))
        .SingleOrDefault();

    /// <remarks>R23: renaming or unarchiving onto the name of another open project of the client is a 409.</remarks>
    public Task<Project?> UpdateProjectAsync(Guid orgId, Guid projectId, ProjectPatch patch, CancellationToken ct) =>
        UniqueNameAsync(patch.Name, async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                $"""
                WITH p AS (
                    UPDATE projects SET name = coalesce($3, name),
                        rate = CASE WHEN $4 THEN NULL ELSE coalesce($5, rate) END,
                        bill_agent_time = coalesce($6, bill_agent_time), archived = coalesce($7, archived),
                        agent_rate = CASE WHEN $8 THEN NULL ELSE coalesce($9, agent_rate) END,
                        color = coalesce($10, color)
                    WHERE org_id = $1 AND id = $2 RETURNING *)
                SELECT {ProjectColumns} FROM p JOIN clients c ON c.org_id = p.org_id AND c.id = p.client_id
                """,
                ct, orgId, projectId, Db.Nullable(patch.Name, NpgsqlDbType.Text), patch.ClearRate,
                Db.Nullable(patch.Rate, NpgsqlDbType.Numeric), Db.Nullable(patch.BillAgentTime, NpgsqlDbType.Boolean),
                Db.Nullable(patch.Archived, NpgsqlDbType.Boolean), patch.ClearAgentRate, Db.Nullable(patch.AgentRate, NpgsqlDbType.Numeric),
                Db.Nullable(patch.Color, NpgsqlDbType.Text));
            return await reader.ReadAsync(ct) ? ReadProject(reader) : null;
        });

    /// <summary>
    /// The project work is about to start on, by id or by partial name (an exact name wins over
    /// partial matches). Archived projects take no new work.
    /// </summary>
    public async Task<Project> ResolveForWorkAsync(Guid orgId, Guid? projectId, string? projectName, CancellationToken ct)
    {
        Project project;
        if (projectId is { } id)
        {
            project = await GetProjectAsync(orgId, id, null, ct) ?? throw Refusal.NotFound("Project");
        }
        else
        {
            var name = projectName!.Trim();
            var matches = await ListProjectsAsync(orgId, name, includeArchived: false, null, ct);
            var exact = matches.Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            project = (exact.Count == 1 ? exact : matches) switch
            {
                [var only] => only,
                [] => throw Refusal.NotFound($"A project matching \"{name}\""),
                var many => throw Refusal.Invalid(
                    $"\"{name}\" matches {many.Count} projects ({string.Join(", ", many.Take(5).Select(p => p.Name))}); be more specific or pass project_id.",
                    "project_ambiguous"),
            };
        }

        return project.Archived || project.ClientArchived
            ? throw Refusal.Conflict("project_archived", "The project or its client is archived; unarchive it to track time on it.")
            : project;
    }

    /// <summary>R23: runs a write that names a project, turning the unique index's refusal into 409 project_name_taken.</summary>
    private static async Task<T> UniqueNameAsync<T>(string? name, Func<Task<T>> write)
    {
        try
        {
            return await Db.RunAsync(write);
        }
        catch (PostgresException error) when (error is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "projects_unique_open_name" })
        {
            throw Refusal.Conflict(
                "project_name_taken",
                name is null
                    ? "The client already has an open project with this name; rename one of them first."
                    : $"The client already has an open project named \"{name}\"; choose another name.").About("name");
        }
    }

    private Task<IReadOnlyList<Client>> QueryClientsAsync(string where, CancellationToken ct, params object?[] parameters) =>
        dataSource.ListAsync($"SELECT c.* FROM clients c WHERE {where}", ReadClient, ct, parameters);

    private Task<IReadOnlyList<Project>> QueryProjectsAsync(string where, CancellationToken ct, params object?[] parameters) =>
        dataSource.ListAsync(
            $"SELECT {ProjectColumns} FROM projects p JOIN clients c ON c.org_id = p.org_id AND c.id = p.client_id WHERE {where}",
            ReadProject, ct, parameters);

    private static NpgsqlParameter Viewer(Guid? viewerId) => Db.Nullable(viewerId, NpgsqlDbType.Uuid);

    private static Client ReadClient(NpgsqlDataReader r) => new(
        r.Get<Guid>("id"), r.Get<string>("name")!, r.Get<string>("currency")!, r.Get<decimal>("default_rate"),
        r.Get<string>("color")!, r.Get<bool>("archived"), r.Get<DateTimeOffset>("created_at"));

    private static Project ReadProject(NpgsqlDataReader r) => new(
        r.Get<Guid>("id"), r.Get<Guid>("client_id"), r.Get<string>("name")!, r.Get<decimal?>("rate"), r.Get<bool>("bill_agent_time"),
        r.Get<bool>("archived"), r.Get<DateTimeOffset>("created_at"), r.Get<string>("currency")!, r.Get<decimal>("default_rate"),
        r.Get<bool>("client_archived"), r.Get<string>("color")!, r.Get<decimal?>("agent_rate"));
}
