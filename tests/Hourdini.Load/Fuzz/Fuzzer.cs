using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Hourdini.Load.Fuzz;

/// <summary>What the fuzzer found: every figure is a count of broken promises except <see cref="Inputs"/>.</summary>
public sealed record FuzzResult(
    int Inputs,
    int Routes,
    IReadOnlyDictionary<int, int> ByStatus,
    int ServerErrors,
    int Leaks,
    int CrossOrgExposures,
    int RefusedButChanged,
    bool OtherOrgUnchanged,
    int ThrottleBypasses,
    IReadOnlyList<string> Examples)
{
    public bool Passed => ServerErrors == 0 && Leaks == 0 && CrossOrgExposures == 0 && RefusedButChanged == 0 && OtherOrgUnchanged && ThrottleBypasses == 0;

    public void Print(TextWriter log)
    {
        log.WriteLine($"  {(Passed ? "PASS" : "FAIL")} fuzz: {Inputs:N0} hostile inputs over {Routes} routes");
        log.WriteLine($"    answers by status: {string.Join(", ", ByStatus.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        log.WriteLine($"    5xx: {ServerErrors}, refusals that are not problem details or leak internals: {Leaks}, another org's data in an answer: {CrossOrgExposures}");
        log.WriteLine($"    refused requests that changed data: {RefusedButChanged}, other org unchanged: {(OtherOrgUnchanged ? "yes" : "NO")}");
        log.WriteLine($"    failed sign-ins past the account's limit let through by rotating X-Forwarded-For: {ThrottleBypasses}");
        foreach (var example in Examples.Take(10))
        {
            log.WriteLine($"    BROKEN: {example}");
        }
    }
}

/// <summary>
/// A bounded fuzzer (issue 7): every route of the OpenAPI document (plus MCP and the web app) gets malformed and
/// adversarial input from a fixed seed, as a signed-in customer of org A who knows org B's ids. It checks that
/// nothing answers 5xx, that no error body shows internals, that no answer carries org B's data, that every
/// refused request left org A's data as it was, and that org B's data is untouched at the end.
/// </summary>
public sealed class Fuzzer(Uri baseAddress, string database, int budget, int seed, TextWriter log)
{
    private static readonly string[] LeakMarkers =
        ["Exception", "   at ", "Npgsql", "System.", "Hourdini.", "SQLSTATE", "stack", "SELECT ", "INSERT ", "/work/", "/src/"];

    private readonly Random _random = new(seed);
    private readonly Dictionary<int, int> _byStatus = [];
    private readonly List<string> _examples = [];
    private int _inputs;
    private int _serverErrors;
    private int _leaks;
    private int _exposures;
    private int _refusedButChanged;
    private int _throttleBypasses;

    public async Task<FuzzResult> RunAsync(CancellationToken ct)
    {
        var took = Stopwatch.StartNew();
        var tenants = await Tenants.CreateAsync(baseAddress, 2, 1, parallelism: 2, ct);
        var (a, b) = (tenants[0], tenants[1]);
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var other = await SeedOtherOrgAsync(http, b, ct);
        var routes = await RoutesAsync(http, ct);
        await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        await db.OpenAsync(ct);
        var tables = await OrgTablesAsync(db, ct);
        var otherBefore = await FingerprintAsync(db, tables, b.OrgId, ct);

        var ids = other.Ids.Concat(["00000000-0000-0000-0000-000000000000", Guid.NewGuid().ToString(), "not-an-id", "' OR '1'='1",
            "..%2F..%2Fetc%2Fpasswd", new string('9', 5000), "%00", "🙂", "-1"]).ToArray();
        await HostileInputsAsync(http, db, tables, a, ct);
        await ForwardedRotationAsync(http, ct);
        var perRoute = Math.Max(4, budget / Math.Max(1, routes.Count));
        foreach (var (method, template) in routes)
        {
            for (var i = 0; i < perRoute && !ct.IsCancellationRequested; i++)
            {
                var path = Fill(template, ids[_random.Next(ids.Length)]) + Query();
                var (auth, token) = Auth(a, b);
                var body = Body(other.Ids);
                var before = await FingerprintAsync(db, tables, a.OrgId, ct);
                var (status, text) = await SendAsync(http, method, path, token, body, ct);
                Count(status);
                var what = $"{method} {path[..Math.Min(path.Length, 120)]} ({auth}) → {status}";
                if (status >= 500)
                {
                    _serverErrors++;
                    Example($"{what}: {Trim(text)}");
                }

                if (status >= 400 && !IsProblem(text))
                {
                    _leaks++;
                    Example($"{what}: the refusal is not problem details with a code: {Trim(text)}");
                }

                if (status >= 400 && LeakMarkers.FirstOrDefault(marker => text.Contains(marker, StringComparison.Ordinal)) is { } leak)
                {
                    _leaks++;
                    Example($"{what}: the error body shows '{leak}': {Trim(text)}");
                }

                if (other.Secrets.FirstOrDefault(secret => text.Contains(secret, StringComparison.OrdinalIgnoreCase)) is { } exposed
                    && !(body?.Contains(exposed, StringComparison.OrdinalIgnoreCase) ?? false) && !path.Contains(exposed, StringComparison.OrdinalIgnoreCase))
                {
                    _exposures++;
                    Example($"{what}: the answer contains org B's {exposed}");
                }

                if (status >= 400 && await FingerprintAsync(db, tables, a.OrgId, ct) != before)
                {
                    _refusedButChanged++;
                    Example($"{what}: refused, yet org A's data changed");
                }
            }
        }

        var otherAfter = await FingerprintAsync(db, tables, b.OrgId, ct);
        if (otherAfter != otherBefore)
        {
            Example("org B's data changed during the fuzz");
        }

        log.WriteLine($"  fuzzed {_inputs:N0} inputs in {took.Elapsed.TotalSeconds:F1} s");
        return new FuzzResult(_inputs, routes.Count, _byStatus, _serverErrors, _leaks, _exposures, _refusedButChanged, otherAfter == otherBefore,
            _throttleBypasses, _examples);
    }

    /// <summary>
    /// Issue 24, R24: the inputs that once answered 500, each sent as it was found, on org A's own project and entry: a
    /// timestamp near the end of time plus a duration, lone UTF-16 surrogates inside a session's environment, and the same
    /// through MCP. Each must be refused (4xx) and change nothing.
    /// </summary>
    private async Task HostileInputsAsync(HttpClient http, NpgsqlConnection db, List<string> tables, Tenant a, CancellationToken ct)
    {
        var auth = "Bearer " + a.Pat;
        var entry = await SendAsync(http, HttpMethod.Post, "/api/v1/time-entries", auth,
            $$"""{"project_id":"{{a.ProjectId}}","started_at":"2026-01-05T09:00:00Z","duration_seconds":60}""", ct);
        var entryId = JsonDocument.Parse(entry.Body).RootElement.GetProperty("time_entry").GetProperty("id").GetString();
        var mcp = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"log_time","arguments":{"project":"PROJECT","started_at":"9999-12-31T23:00:00Z","duration_seconds":7200}}}""";
        (HttpMethod, string, string)[] cases =
        [
            (HttpMethod.Post, "/api/v1/time-entries", $$"""{"project_id":"{{a.ProjectId}}","started_at":"9999-12-31T23:00:00Z","duration_seconds":7200}"""),
            (HttpMethod.Post, "/api/v1/time-entries", $$"""{"project_id":"{{a.ProjectId}}","started_at":"9999-12-31T23:00:00Z","ended_at":"9999-12-31T23:59:59.9999999Z"}"""),
            (HttpMethod.Post, "/api/v1/time-entries", $$"""{"project_id":"{{a.ProjectId}}","started_at":"2026-01-06T23:00:00Z","ended_at":"2026-01-06T01:00:00Z"}"""),
            (HttpMethod.Patch, $"/api/v1/time-entries/{entryId}", """{"started_at":"9999-12-31T23:00:00Z","duration_seconds":7200}"""),
            (HttpMethod.Patch, $"/api/v1/time-entries/{entryId}", """{"ended_at":"9999-12-31T23:59:59Z"}"""),
            (HttpMethod.Post, "/api/v1/sessions", $$$"""{"project_id":"{{{a.ProjectId}}}","environment":{"os":"a\ud800b"}}"""),
            (HttpMethod.Post, "/api/v1/sessions", $$$"""{"project_id":"{{{a.ProjectId}}}","environment":{"\udfff":["\ud83d"]}}"""),
            (HttpMethod.Post, "/mcp", mcp.Replace("PROJECT", a.ProjectId.ToString())),
        ];
        foreach (var (method, path, body) in cases)
        {
            var before = await FingerprintAsync(db, tables, a.OrgId, ct);
            var (status, text) = await SendAsync(http, method, path, auth, body, ct);
            Count(status);
            var what = $"{method} {path} {Trim(body)} → {status}";
            if (status >= 500)
            {
                _serverErrors++;
                Example($"{what}: {Trim(text)}");
            }
            else if ((status < 400 && !path.StartsWith("/mcp", StringComparison.Ordinal)) || text.Contains("\"isError\":false", StringComparison.Ordinal))
            {
                _refusedButChanged++;
                Example($"{what}: accepted (R24 refuses it)");
            }
            else if (await FingerprintAsync(db, tables, a.OrgId, ct) != before)
            {
                _refusedButChanged++;
                Example($"{what}: refused, yet org A's data changed");
            }
        }
    }

    /// <summary>
    /// Issue 24: failed sign-ins for one account from "different" clients, each naming another address in X-Forwarded-For.
    /// Past the account's limit (10 in 15 minutes) every further attempt must be refused, whatever the header says.
    /// </summary>
    private async Task ForwardedRotationAsync(HttpClient http, CancellationToken ct)
    {
        var email = $"rotation-{Guid.NewGuid():N}@example.com";
        for (var i = 0; i < 14; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
            {
                Content = JsonContent($$"""{"email":"{{email}}","password":"guess {{i}}"}"""),
            };
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", $"198.51.100.{_random.Next(1, 255)}");
            using var response = await http.SendAsync(request, ct);
            var status = (int)response.StatusCode;
            Count(status);
            if (i >= 10 && status != 429)
            {
                _throttleBypasses++;
                Example($"sign-in attempt {i + 1} for one account with a rotated X-Forwarded-For → {status} (limit: 10 failures)");
            }
        }
    }

    private sealed record OtherOrg(string[] Ids, string[] Secrets);

    /// <summary>Org B owns a client, a project, an agent, a session with a log, a task and a time entry; their ids are the bait.</summary>
    private static async Task<OtherOrg> SeedOtherOrgAsync(HttpClient http, Tenant b, CancellationToken ct)
    {
        async Task<JsonElement> Send(HttpMethod method, string path, object? body, string token)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent(JsonSerializer.Serialize(body)) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            return response.IsSuccessStatusCode && text.Length > 0
                ? JsonDocument.Parse(text).RootElement
                : throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        var session = (await Send(HttpMethod.Post, "/api/v1/sessions", new { project_id = b.ProjectId, description = "org B secret work" }, b.Pat))
            .GetProperty("session").GetProperty("id").GetString()!;
        await Send(HttpMethod.Post, $"/api/v1/sessions/{session}/events", new { type = "log", message = "org B secret log" }, b.Pat);
        var task = (await Send(HttpMethod.Post, $"/api/v1/projects/{b.ProjectId}/tasks", new { title = "org B secret task" }, b.Pat))
            .GetProperty("task").GetProperty("id").GetString()!;
        var entry = (await Send(HttpMethod.Post, "/api/v1/time-entries", new
        {
            project_id = b.ProjectId,
            description = "org B secret entry",
            started_at = DateTimeOffset.UtcNow.AddHours(-3),
            ended_at = DateTimeOffset.UtcNow.AddHours(-2),
        }, b.Pat)).GetProperty("time_entry").GetProperty("id").GetString()!;
        var client = (await Send(HttpMethod.Get, $"/api/v1/projects/{b.ProjectId}", null, b.Pat)).GetProperty("project").GetProperty("client_id").GetString()!;
        string[] ids = [b.OrgId.ToString(), b.UserId.ToString(), b.ProjectId.ToString(), b.Agents[0].Id.ToString(), session, task, entry, client];
        return new OtherOrg(ids, [.. ids, "org B secret", b.Pat, b.Agents[0].Secret]);
    }

    /// <summary>Every route of the OpenAPI document, plus the MCP endpoint and the web app's pages.</summary>
    private static async Task<List<(HttpMethod, string)>> RoutesAsync(HttpClient http, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json", ct));
        var routes = new List<(HttpMethod, string)>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                if (path.Name != "/app/events")
                {
                    routes.Add((new HttpMethod(operation.Name.ToUpperInvariant()), path.Name));
                }
            }
        }

        routes.AddRange([(HttpMethod.Post, "/mcp"), (HttpMethod.Get, "/app"), (HttpMethod.Get, "/app/sessions/{id}"), (HttpMethod.Get, "/app/entries"),
            (HttpMethod.Post, "/app/login"), (HttpMethod.Get, "/api/v1/nothing-here/{id}")]);
        return routes;
    }

    private static string Fill(string template, string id) =>
        System.Text.RegularExpressions.Regex.Replace(template, "{[^}]+}", Uri.EscapeDataString(id).Replace("%25", "%", StringComparison.Ordinal));

    private string Query() => _random.Next(4) switch
    {
        0 => "",
        1 => "?limit=" + Pick(["-1", "0", "1000000000", "abc", "1e9", "%00"]),
        2 => "?cursor=" + Pick(["garbage", "eyJ4IjoxfQ", new string('A', 4000), "%27%20OR%201%3D1"]),
        _ => "?from=" + Pick(["notadate", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-13-45T25:61:61Z"]) + "&to=-1&status=🙂&project_id=' OR 1=1",
    };

    /// <summary>Mostly A's own personal token, sometimes forged, malformed or absent, sometimes a browser's cookie-less change.</summary>
    private (string Kind, string? Header) Auth(Tenant a, Tenant b) => _random.Next(10) switch
    {
        < 6 => ("A's token", "Bearer " + a.Pat),
        6 => ("A's agent", "Bearer " + a.Agents[0].Secret),
        7 => ("forged", "Bearer " + Pick(["hd_pat_live_" + Convert.ToBase64String(Guid.NewGuid().ToByteArray()), "hd_agt_live_x", b.Pat[..^2] + "xx", "' OR 1=1 --"])),
        8 => ("malformed", Pick(["Bearer", "Basic YTpi", "Bearer " + new string('a', 10_000), "bearer  " + a.Pat + " extra"])),
        _ => ("none", null),
    };

    private static readonly string[] Keys =
    [
        "name", "description", "email", "password", "project_id", "client_id", "kind", "previous", "message", "type", "started_at",
        "ended_at", "duration_seconds", "default_rate", "rate", "currency", "status", "agent_lease_seconds", "tags", "title", "task_id",
        "role", "user_id", "org_id", "agent_id", "body", "jsonrpc", "method", "params", "id", "environment", "bill_agent_time",
    ];

    /// <summary>No body, broken JSON, wrong shapes, or an object of known field names with hostile values.</summary>
    private string? Body(string[] otherIds)
    {
        switch (_random.Next(12))
        {
            case 0: return null;
            case 1: return Pick(["{", "[]", "\"text\"", "null", "1", "{\"a\":}", "{\"name\":\"\\ud800\"}", "\u0000", "{}{}"]);
            case 2: return new string('[', 5000) + new string(']', 5000);
            case 3: return "{\"name\":\"" + new string('x', 1_500_000) + "\"}"; // past the 1 MiB limit: 413
        }

        var fields = Keys.OrderBy(_ => _random.Next()).Take(_random.Next(1, 8));
        return "{" + string.Join(",", fields.Select(key => $"\"{key}\":{Value(otherIds)}")) + "}";
    }

    private string Value(string[] otherIds) => _random.Next(16) switch
    {
        0 => "-1",
        1 => "99999999999999999999999",
        2 => "1e308",
        3 => "null",
        4 => "true",
        5 => "[]",
        6 => "{\"$ne\":1}",
        7 => JsonSerializer.Serialize(new string('é', 20_000)),
        8 => JsonSerializer.Serialize("'; DROP TABLE sessions; --"),
        9 => JsonSerializer.Serialize("\u202Eevil\u0000\uFEFF🙂" + "\u0301\u0301\u0301"),
        10 => JsonSerializer.Serialize(Pick(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "yesterday", "1970-01-01T00:00:00+14:00"])),
        11 => JsonSerializer.Serialize(Pick(otherIds)),
        12 => JsonSerializer.Serialize(Pick(["active", "agent", "idle", "asleep", "owner", "admin", "EUR", "XXX", "log", ""])),
        13 => "\"\\ud800\"",
        14 => "-86400000",
        _ => JsonSerializer.Serialize(Guid.NewGuid()),
    };

    private string Pick(string[] values) => values[_random.Next(values.Length)];

    private static async Task<(int Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string path, string? auth, string? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (auth is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", auth);
        }

        if (body is not null)
        {
            request.Content = JsonContent(body);
        }

        if (path.StartsWith("/mcp", StringComparison.Ordinal))
        {
            request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        }

        using var response = await http.SendAsync(request, ct);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static bool IsProblem(string text)
    {
        try
        {
            // Problem details, or on /mcp a JSON-RPC error that carries the same stable code (the MCP protocol's own shape).
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            return (root.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String)
                || (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("data", out var data)
                    && data.ValueKind == JsonValueKind.Object && data.TryGetProperty("code", out var rpcCode) && rpcCode.ValueKind == JsonValueKind.String);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    private void Count(int status)
    {
        _inputs++;
        _byStatus[status] = _byStatus.GetValueOrDefault(status) + 1;
    }

    private void Example(string what)
    {
        if (_examples.Count < 50)
        {
            _examples.Add(what);
        }
    }

    private static string Trim(string text) => text.Length > 300 ? text[..300] + "…" : text;

    /// <summary>Tables keyed by org; columns that record when a token or agent was last heard from change on any call.</summary>
    private static async Task<List<string>> OrgTablesAsync(NpgsqlConnection db, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' ORDER BY table_name", db);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var tables = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static async Task<string> FingerprintAsync(NpgsqlConnection db, List<string> tables, Guid org, CancellationToken ct)
    {
        var sql = string.Join(" UNION ALL ", tables.Select(t =>
            $"SELECT '{t}', md5(coalesce(string_agg((to_jsonb(x) - 'last_used_at' - 'last_heard_at' - 'sweep_claimed_until')::text, ',' ORDER BY (to_jsonb(x) - 'last_used_at' - 'last_heard_at' - 'sweep_claimed_until')::text), '')) FROM \"{t}\" x WHERE org_id = $1"));
        await using var command = new NpgsqlCommand(sql, db);
        command.Parameters.AddWithValue(org);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var print = new StringBuilder();
        while (await reader.ReadAsync(ct))
        {
            print.Append(reader.GetString(0)).Append('=').Append(reader.GetString(1)).Append(';');
        }

        return print.ToString();
    }
}
