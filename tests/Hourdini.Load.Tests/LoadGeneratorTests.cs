using System.Diagnostics;
using Hourdini.Load;
using Hourdini.Testing;

namespace Hourdini.Load.Tests;

/// <summary>
/// The load generator's smoke run (issue 6): a few seconds of the benchmark's mix against the real
/// gateway and PostgreSQL, then the verification that every acknowledged operation is stored.
/// </summary>
public class LoadGeneratorTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task A_short_mixed_load_loses_no_acknowledged_operation_and_breaks_no_rule() // R1, R3, R6, R7, R8, R13, R17
    {
        var tenants = await LoadRun.SetUpAsync(server.BaseAddress, users: 3, agentsPerUser: 3, TextWriter.Null);
        var options = new RunOptions
        {
            Name = "smoke",
            BaseAddress = server.BaseAddress,
            Database = server.ConnectionString,
            Users = 3,
            AgentsPerUser = 3,
            // Long enough for every kind of call on a slow machine, where a cold server's first calls take seconds.
            Warmup = TimeSpan.FromSeconds(1.5),
            Duration = TimeSpan.FromSeconds(6),
            StepsPerSession = 8,
            PersonInterval = TimeSpan.FromSeconds(0.05),
        };

        var result = await LoadRun.RunAsync(options, tenants, TextWriter.Null);

        Assert.Equal(0, result.UnexpectedErrors);
        Assert.All(result.Checks, check => Assert.True(check.Violations == 0, $"{check.Name}: {check.Violations}"));
        Assert.Equal(12, result.Checks.Count);
        foreach (var kind in new[] { "start", "log", "beat", "focus", "heartbeat", "end", "timer_start", "timer_stop", "refused" })
        {
            Assert.True(result.Kinds.Any(k => k.Kind == kind && k.Count > 0), $"the mix did no {kind}");
        }
    }

    [Fact]
    public async Task A_call_counts_from_when_it_was_due_and_its_send_lag_shows_how_late_the_generator_sent_it()
    {
        var latencies = new Latencies { Measuring = true };
        using var http = Api.CreateHttp(server.BaseAddress, maxConnections: 1);
        var api = new Api([http], "no token needed", latencies);
        var due = Stopwatch.GetTimestamp() - Stopwatch.Frequency / 10; // the call was due 100 ms ago

        var ready = await api.CallAsync("ready", HttpMethod.Get, "/readyz", json: null, due);

        Assert.NotNull(ready);
        Assert.InRange(latencies.SendLag.Percentile(50), 100, latencies["ready"].Percentile(50));
    }

    [Fact]
    public async Task The_verification_counts_an_acknowledged_operation_that_is_not_stored()
    {
        var ledger = new Ledger();
        ledger.StartedSessions.Add(Guid.NewGuid());
        ledger.Logs.Add((Guid.NewGuid(), 1, "acknowledged but never written"));
        ledger.TimerEntries.Add(Guid.NewGuid());
        ledger.EndedSessions.Add((Guid.NewGuid(), Guid.NewGuid()));
        ledger.Beats.Add((Guid.NewGuid(), "agent", DateTime.UtcNow));

        var checks = await Verifier.VerifyAsync(server.ConnectionString, ledger, default);

        Assert.Equal(1, checks.Single(c => c.Name.StartsWith("acknowledged session starts", StringComparison.Ordinal)).Violations);
        Assert.Equal(1, checks.Single(c => c.Name.StartsWith("acknowledged logs", StringComparison.Ordinal)).Violations);
        Assert.Equal(1, checks.Single(c => c.Name.StartsWith("acknowledged timer stops", StringComparison.Ordinal)).Violations);
        Assert.Equal(1, checks.Single(c => c.Name.StartsWith("acknowledged ends", StringComparison.Ordinal)).Violations);
        Assert.Equal(1, checks.Single(c => c.Name.StartsWith("acknowledged beats", StringComparison.Ordinal)).Violations);
    }
}
