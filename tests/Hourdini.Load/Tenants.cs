using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hourdini.Load;

/// <summary>A freelancer: their org, personal token, one project that bills agent time, and their agents.</summary>
public sealed record Tenant(Guid OrgId, Guid UserId, string Pat, Guid ProjectId, IReadOnlyList<(Guid Id, string Secret)> Agents);

/// <summary>Creates the run's orgs, users, projects and agent tokens through the public API, as a customer would.</summary>
public static class Tenants
{
    public static async Task<IReadOnlyList<Tenant>> CreateAsync(Uri baseAddress, int users, int agentsPerUser, int parallelism, CancellationToken ct)
    {
        var tenants = new Tenant[users];
        var run = Guid.NewGuid().ToString("N")[..8];
        await Parallel.ForAsync(0, users, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (i, token) =>
            tenants[i] = await CreateOneAsync(baseAddress, $"load-{run}-{i}@example.com", agentsPerUser, token));
        return tenants;
    }

    private static async Task<Tenant> CreateOneAsync(Uri baseAddress, string email, int agents, CancellationToken ct)
    {
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = baseAddress };
        var signup = await SendAsync(browser, HttpMethod.Post, "/api/v1/auth/signup",
            new { email, password = "load generator password", name = "Load Freelancer" }, ct);
        var pat = (await SendAsync(browser, HttpMethod.Post, "/api/v1/tokens", new { name = "load" }, ct)).GetProperty("secret").GetString()!;

        using var person = new HttpClient { BaseAddress = baseAddress };
        person.DefaultRequestHeaders.Authorization = new("Bearer", pat);
        var client = await SendAsync(person, HttpMethod.Post, "/api/v1/clients", new { name = "Acme", currency = "EUR", default_rate = 120 }, ct);
        var project = await SendAsync(person, HttpMethod.Post, "/api/v1/projects",
            new { client_id = client.GetProperty("client").GetProperty("id").GetString(), name = "Platform", bill_agent_time = true }, ct);

        // R33's cost on the write path (deploy/bench.sh, HOURDINI_BENCH_WEBHOOK=1): one webhook for every event.
        if (Environment.GetEnvironmentVariable("HOURDINI_BENCH_WEBHOOK_URL") is { Length: > 0 } hook)
        {
            await SendAsync(person, HttpMethod.Post, "/api/v1/webhooks", new
            {
                url = hook,
                events = new[] { "session.started", "session.ended", "entry.created", "entry.updated", "invoice.issued", "budget.threshold" },
            }, ct);
        }

        var created = new List<(Guid, string)>();
        for (var a = 0; a < agents; a++)
        {
            var agent = await SendAsync(person, HttpMethod.Post, "/api/v1/agents", new { name = $"agent-{a}" }, ct);
            created.Add((agent.GetProperty("agent").GetProperty("id").GetGuid(), agent.GetProperty("secret").GetString()!));
        }

        return new Tenant(
            signup.GetProperty("org").GetProperty("id").GetGuid(),
            signup.GetProperty("user").GetProperty("id").GetGuid(),
            pat,
            project.GetProperty("project").GetProperty("id").GetGuid(),
            created);
    }

    private static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, object body, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await http.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) }, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                return JsonDocument.Parse(text).RootElement;
            }

            // Set-up is not measured: a 429 or 503 waits and tries again; anything else is a broken run.
            if (attempt < 20 && response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), ct);
                continue;
            }

            throw new InvalidOperationException($"Set-up call {method} {path} failed: {(int)response.StatusCode} {text}");
        }
    }
}
