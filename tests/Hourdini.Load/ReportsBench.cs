using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Load;

/// <summary>
/// The reports benchmark (docs/BENCHMARKS.md, "Reports"): one org with a year of entries, written with COPY, then
/// <c>GET /api/v1/reports/summary</c> over real HTTP for the whole year, one request at a time, for every grouping.
/// Prints p50, p99 and the slowest per grouping and overall.
/// </summary>
public static class ReportsBench
{
    private static readonly string[] Groupings = ["project", "client", "agent", "source", "user", "day", "week"];

    public static async Task<int> RunAsync(Arguments options, TextWriter output, CancellationToken ct)
    {
        var baseAddress = new Uri(options.Require("url"));
        var connectionString = options.Require("db");
        var entries = options.Int("entries", 100_000);
        var requests = options.Int("requests", 100);
        var tz = options.Get("tz", "Europe/Berlin");

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var (orgId, userId) = await SignUpAsync(http, ct);
        var currencies = new[] { ("EUR", 90m), ("USD", 120m), ("GBP", 75m) };
        var projects = new List<(Guid Id, decimal Rate, string Currency, bool BillAgent)>();
        for (var c = 0; c < currencies.Length; c++)
        {
            var (currency, rate) = currencies[c];
            var client = await PostAsync(http, "clients", new { name = $"Client {c + 1}", currency, default_rate = rate }, "client", ct);
            for (var p = 0; p < 4; p++)
            {
                var billAgent = p % 2 == 0;
                var project = await PostAsync(http, "projects", new { client_id = client, name = $"Project {c + 1}.{p + 1}", bill_agent_time = billAgent }, "project", ct);
                projects.Add((Guid.Parse(project), rate, currency, billAgent));
            }
        }

        var agents = new List<Guid>();
        for (var a = 0; a < 3; a++)
        {
            agents.Add(Guid.Parse(await PostAsync(http, "agents", new { name = $"agent-{a + 1}" }, "agent", ct)));
        }

        var end = DateTimeOffset.UtcNow.AddDays(-1);
        var start = end.AddDays(-364);
        var seeding = Stopwatch.StartNew();
        await SeedAsync(connectionString, orgId, userId, projects, agents, entries, start, end, ct);
        output.WriteLine($"seeded {entries:N0} entries over {start:yyyy-MM-dd} … {end:yyyy-MM-dd} in {seeding.Elapsed.TotalSeconds:0.0} s (COPY, then VACUUM ANALYZE)");

        var query = $"from={start:yyyy-MM-dd}&to={end:yyyy-MM-dd}&tz={Uri.EscapeDataString(tz)}";
        for (var i = 0; i < 10; i++)
        {
            await ReportAsync(http, $"{query}&group_by={Groupings[i % Groupings.Length]}", ct); // warm-up: JIT, pools, caches
        }

        var all = new List<double>();
        output.WriteLine($"GET /api/v1/reports/summary?{query}&group_by=…, {requests} requests each, one at a time");
        output.WriteLine($"{"group_by",-10} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"groups",7}");
        foreach (var groupBy in Groupings)
        {
            var took = new List<double>();
            var groups = 0;
            for (var i = 0; i < requests; i++)
            {
                var timer = Stopwatch.StartNew();
                groups = await ReportAsync(http, $"{query}&group_by={groupBy}", ct);
                took.Add(timer.Elapsed.TotalMilliseconds);
            }

            all.AddRange(took);
            output.WriteLine($"{groupBy,-10} {Percentile(took, 0.50),8:0.0} {Percentile(took, 0.99),8:0.0} {took.Max(),8:0.0} {groups,7}");
        }

        output.WriteLine($"{"all",-10} {Percentile(all, 0.50),8:0.0} {Percentile(all, 0.99),8:0.0} {all.Max(),8:0.0}");
        return Percentile(all, 0.99) < options.Double("p99-target-ms", 200) ? 0 : 1;
    }

    private static async Task<(Guid OrgId, Guid UserId)> SignUpAsync(HttpClient http, CancellationToken ct)
    {
        var email = $"reports-{Guid.NewGuid():N}@example.com";
        using var signup = await http.PostAsJsonAsync("/api/v1/auth/signup", new { email, password = "correct horse battery", name = "Bench" }, ct);
        signup.EnsureSuccessStatusCode();
        var body = await signup.Content.ReadFromJsonAsync<JsonElement>(ct);
        var cookie = string.Join("; ", signup.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tokens") { Content = JsonContent.Create(new { name = "bench" }) };
        request.Headers.Add("Cookie", cookie);
        using var token = await http.SendAsync(request, ct);
        token.EnsureSuccessStatusCode();
        var secret = (await token.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("secret").GetString()!;
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        return (Guid.Parse(body.GetProperty("org").GetProperty("id").GetString()!), Guid.Parse(body.GetProperty("user").GetProperty("id").GetString()!));
    }

    private static async Task<string> PostAsync(HttpClient http, string path, object body, string property, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/{path}", body, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty(property).GetProperty("id").GetString()!;
    }

    private static async Task<int> ReportAsync(HttpClient http, string query, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/v1/reports/summary?{query}", ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("groups").GetArrayLength();
    }

    /// <summary>
    /// A freelancer's year: entries of 5 to 120 minutes spread evenly, a third of them agent runs (with a split), a tenth
    /// not billable, the rest manual, timer or imported.
    /// </summary>
    private static async Task SeedAsync(
        string connectionString, Guid orgId, Guid userId, List<(Guid Id, decimal Rate, string Currency, bool BillAgent)> projects,
        List<Guid> agents, int count, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        var random = new Random(25);
        var span = (end - start).TotalSeconds;
        string[] sources = ["manual", "timer", "import"];
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using (var copy = await connection.BeginBinaryImportAsync(
            """
            COPY time_entries (org_id, id, user_id, project_id, agent_id, source, description, started_at, ended_at, duration_seconds,
                billable, rate, currency, tags, created_at, updated_at, active_seconds, agent_seconds, idle_seconds, agent_billed)
            FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            for (var i = 0; i < count; i++)
            {
                var project = projects[random.Next(projects.Count)];
                var startedAt = start.AddSeconds(span * i / count).UtcDateTime;
                var length = random.Next(300, 7200);
                var agentRun = i % 3 == 0;
                var active = agentRun ? length / 3 : length;
                var agentSeconds = agentRun ? length - active : 0;
                var idle = agentRun ? random.Next(0, 600) : 0;
                var duration = active + (agentRun && project.BillAgent ? agentSeconds : 0);
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(orgId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(userId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(project.Id, NpgsqlDbType.Uuid, ct);
                if (agentRun)
                {
                    await copy.WriteAsync(agents[i / 3 % agents.Count], NpgsqlDbType.Uuid, ct);
                }
                else
                {
                    await copy.WriteNullAsync(ct);
                }

                await copy.WriteAsync(sources[i % sources.Length], NpgsqlDbType.Text, ct);
                await copy.WriteAsync($"work item {i}", NpgsqlDbType.Text, ct);
                await copy.WriteAsync(startedAt, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(startedAt.AddSeconds(length + idle), NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync((long)duration, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(i % 10 != 0, NpgsqlDbType.Boolean, ct);
                await copy.WriteAsync(project.Rate, NpgsqlDbType.Numeric, ct);
                await copy.WriteAsync(project.Currency, NpgsqlDbType.Char, ct);
                await copy.WriteAsync(Array.Empty<string>(), NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                await copy.WriteAsync(startedAt, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(startedAt, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync((long)active, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync((long)agentSeconds, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync((long)idle, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(agentRun && project.BillAgent, NpgsqlDbType.Boolean, ct);
            }

            await copy.CompleteAsync(ct);
        }

        await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE time_entries", connection);
        await vacuum.ExecuteNonQueryAsync(ct);
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
