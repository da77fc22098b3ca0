using System.Net;
using System.Text.Json;
using Hourdini.Silo.Storage;
using Hourdini.Testing;
using Npgsql;

namespace Hourdini.Api.Tests;

/// <summary>
/// R25: every entry carries its split (active, agent, idle seconds and the Bill agent time snapshot); a session's entry
/// keeps the session's totals, any other entry is all hands-on; duration is what was billed. R26: its amount, in cents
/// rounded half to even, the same from the API as in the database's reports column.
/// </summary>
public sealed class EntrySplitTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_sessions_entry_keeps_the_sessions_active_agent_and_idle_time(bool billAgentTime)
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(rate: 90m), "Split", billAgentTime);
        var session = (await pat.StartSessionAsync(project)).Str("id");
        await Task.Delay(1100);
        await pat.BeatAsync(session, "agent");
        await Task.Delay(1100);
        await pat.BeatAsync(session, "idle");
        await Task.Delay(1100);

        var ended = (await pat.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);

        var entry = ended["entry"];
        var (active, agent) = (entry.Long("active_seconds"), entry.Long("agent_seconds"));
        Assert.InRange(active, 1, 2);
        Assert.InRange(agent, 1, 2);
        Assert.InRange(entry.Long("idle_seconds"), 1, 2);
        Assert.Equal(billAgentTime, entry.GetProperty("agent_billed").GetBoolean());
        Assert.Equal(active + (billAgentTime ? agent : 0), entry.Long("duration_seconds"));
        Assert.Equal(Cents((active + (billAgentTime ? agent : 0)) * 90m / 3600m), entry.Str("amount"));

        // The list and one entry read back the same split from the database.
        var read = (await pat.GetAsync($"/api/v1/time-entries/{entry.Str("id")}")).Expect(HttpStatusCode.OK)["time_entry"];
        foreach (var field in new[] { "active_seconds", "agent_seconds", "idle_seconds", "agent_billed", "amount", "duration_seconds" })
        {
            Assert.Equal(entry.GetProperty(field).ToString(), read.GetProperty(field).ToString());
        }

        Assert.Equal(entry.Str("amount"), await AmountInDatabaseAsync(entry.Str("id")));
    }

    [Theory]
    [InlineData(18, "0.00")] // 0.005 €: half to the even cent, down
    [InlineData(54, "0.02")] // 0.015 €: half to the even cent, up
    [InlineData(3600, "1.00")]
    public async Task A_manual_entry_is_all_hands_on_and_its_amount_rounds_half_to_even(int seconds, string amount)
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(rate: 1m), "Pennies");

        var entry = (await pat.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-01-05T09:00:00Z", duration_seconds = seconds }))
            .Expect(HttpStatusCode.Created)["time_entry"];

        Assert.Equal(seconds, entry.Long("active_seconds"));
        Assert.Equal(0, entry.Long("agent_seconds"));
        Assert.Equal(0, entry.Long("idle_seconds"));
        Assert.False(entry.GetProperty("agent_billed").GetBoolean());
        Assert.Equal(amount, entry.Str("amount"));
        Assert.Equal(amount, await AmountInDatabaseAsync(entry.Str("id")));
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("agent_rate").ValueKind);
    }

    [Fact]
    public async Task A_manual_entry_edited_stays_all_hands_on_and_a_non_billable_one_is_worth_nothing()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(rate: 120m), "Edits");
        var id = (await pat.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-01-05T09:00:00Z", duration_seconds = 600 }))
            .Expect(HttpStatusCode.Created)["time_entry"].Str("id");

        var longer = (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{id}", new { duration_seconds = 1800 })).Expect(HttpStatusCode.OK)["time_entry"];
        Assert.Equal(1800, longer.Long("active_seconds"));
        Assert.Equal("60.00", longer.Str("amount"));
        Assert.Equal("60.00", await AmountInDatabaseAsync(id));

        var unbilled = (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{id}", new { billable = false })).Expect(HttpStatusCode.OK)["time_entry"];
        Assert.Equal("0.00", unbilled.Str("amount"));
        Assert.Equal("0.00", await AmountInDatabaseAsync(id));
    }

    [Fact]
    public async Task The_migration_fills_the_split_of_existing_entries_exactly_from_their_sessions_stop_events()
    {
        await using var node = new HourdiniServer();
        await node.InitializeAsync();
        var (pat, _, _) = await ApiClient.SignUpAsync(node.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Backfill", billAgentTime: true);
        var session = (await pat.StartSessionAsync(project)).Str("id");
        await Task.Delay(1100);
        await pat.BeatAsync(session, "agent");
        await Task.Delay(1300);
        var byTheSession = (await pat.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"];
        var manual = (await pat.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-01-05T09:00:00Z", duration_seconds = 900 }))
            .Expect(HttpStatusCode.Created)["time_entry"];

        // The entries' table as it was before migration 0011, with these entries in it; then 0011 runs on them.
        await using (var connection = await node.OpenDatabaseAsync())
        {
            await using var undo = new NpgsqlCommand(
                """
                ALTER TABLE time_entries DROP COLUMN amount CASCADE, DROP COLUMN active_seconds CASCADE, DROP COLUMN agent_seconds CASCADE,
                    DROP COLUMN idle_seconds CASCADE, DROP COLUMN agent_billed CASCADE, DROP COLUMN agent_rate CASCADE;
                DROP FUNCTION hd_entry_amount; DROP FUNCTION hd_round_half_even;
                """, connection);
            await undo.ExecuteNonQueryAsync();
            await using var migrate = new NpgsqlCommand(Migrator.Migrations.Single(m => m.Version == 11).Sql, connection);
            await migrate.ExecuteNonQueryAsync();
        }

        foreach (var before in new[] { byTheSession, manual })
        {
            var after = (await pat.GetAsync($"/api/v1/time-entries/{before.Str("id")}")).Expect(HttpStatusCode.OK)["time_entry"];
            foreach (var field in new[] { "active_seconds", "agent_seconds", "idle_seconds", "agent_billed", "amount", "duration_seconds" })
            {
                Assert.Equal(before.GetProperty(field).ToString(), after.GetProperty(field).ToString());
            }
        }
    }

    private static string Cents(decimal value) =>
        Math.Round(value, 2, MidpointRounding.ToEven).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string> AmountInDatabaseAsync(string entryId)
    {
        await using var connection = await server.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand($"SELECT amount::text FROM time_entries WHERE id = '{entryId}'", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
