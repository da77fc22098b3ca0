using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// R30: the detailed CSV exports of Toggl Track, Clockify and Harvest import; missing clients and projects are created by
/// name (R23's comparison), every entry has source import and a fingerprint so a second import creates nothing, a dry run
/// writes nothing, a bad row is reported by line and skipped, and the good rows go in all together or not at all. R24 holds
/// for every row. The samples come from Samples/make_samples.py, which prints what is expected of each.
/// </summary>
public sealed class ImportTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    public static TheoryData<string, string, int, int[], string[], long, string> Samples => new()
    {
        { "toggl", "Europe/Berlin", 299, [43, 124], ["bad_date", "invalid_span"], 1193823, "EUR" },
        { "clockify", "America/New_York", 288, [13, 204], ["bad_time", "out_of_range"], 1182622, "USD" },
        { "harvest", "UTC", 285, [8, 81], ["bad_duration", "invalid_span"], 1114380, "EUR" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Each_tools_export_imports_once_with_its_bad_rows_reported_by_line(
        string source, string tz, int good, int[] badLines, string[] badCodes, long seconds, string currency) // R30, R24
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var csv = Files.Sample($"{source}.csv");

        var dry = (await api.ImportAsync(source, csv, dryRun: true, tz: tz)).Expect(HttpStatusCode.OK)["import"];
        Assert.Equal((source, true, good + badLines.Length, good, 0), (dry.Str("source"), dry.GetProperty("dry_run").GetBoolean(), dry.GetProperty("rows").GetInt32(), dry.GetProperty("created").GetInt32(), dry.GetProperty("duplicates").GetInt32()));
        Assert.Equal(badLines, dry.GetProperty("failed").EnumerateArray().Select(f => f.GetProperty("line").GetInt32()));
        Assert.Equal(badCodes, dry.GetProperty("failed").EnumerateArray().Select(f => f.Str("code")));
        Assert.True(dry.GetProperty("clients_created").GetInt32() >= 3);
        Assert.Empty(await api.AllEntriesAsync()); // a dry run writes nothing
        Assert.Empty((await api.GetAsync("/api/v1/clients")).Expect(HttpStatusCode.OK)["clients"].EnumerateArray());

        var real = (await api.ImportAsync(source, csv, tz: tz)).Expect(HttpStatusCode.Created)["import"];
        Assert.Equal((false, good, 0), (real.GetProperty("dry_run").GetBoolean(), real.GetProperty("created").GetInt32(), real.GetProperty("duplicates").GetInt32()));
        Assert.Equal(dry.GetProperty("clients_created").GetInt32(), real.GetProperty("clients_created").GetInt32());
        Assert.Equal(dry.GetProperty("projects_created").GetInt32(), real.GetProperty("projects_created").GetInt32());
        Assert.Equal(badLines, real.GetProperty("failed").EnumerateArray().Select(f => f.GetProperty("line").GetInt32()));

        var entries = await api.AllEntriesAsync();
        Assert.Equal(good, entries.Count);
        Assert.Equal(seconds, entries.Sum(e => e.Long("duration_seconds")));
        Assert.All(entries, e => Assert.Equal(("import", e.Long("duration_seconds"), 0L), (e.Str("source"), e.Long("active_seconds"), e.Long("agent_seconds"))));
        Assert.All(entries, e => Assert.Equal(currency, e.Str("currency")));
        var clients = (await api.GetAsync("/api/v1/clients"))["clients"].EnumerateArray().Select(c => c.Str("name")).ToList();
        Assert.Contains("Café Ñandú", clients);
        Assert.Contains("Zoë Müller Design", clients);

        // The same file again: nothing new.
        var again = (await api.ImportAsync(source, csv, tz: tz)).Expect(HttpStatusCode.Created)["import"];
        Assert.Equal((0, good, 0, 0), (again.GetProperty("created").GetInt32(), again.GetProperty("duplicates").GetInt32(), again.GetProperty("clients_created").GetInt32(), again.GetProperty("projects_created").GetInt32()));
        Assert.Equal(good, (await api.AllEntriesAsync()).Count);
    }

    [Fact]
    public async Task Wall_clock_times_12_hour_times_and_a_night_past_midnight_land_where_they_were() // R30
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        (await api.ImportAsync("toggl", Files.Sample("toggl.csv"), tz: "Europe/Berlin")).Expect(HttpStatusCode.Created);
        var night = (await api.AllEntriesAsync()).Single(e => e.Str("description") == "Release night");
        Assert.Equal(("2026-11-20T22:15:00.000Z", "2026-11-21T00:05:00.000Z", 6600L), (night.Str("started_at"), night.Str("ended_at"), night.Long("duration_seconds")));

        var (other, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        const string clockify = "Project,Client,Description,Billable,Start Date,Start Time,End Date,End Time,Duration (h),Tags\n"
            + "Mobile app,Acme,Standup,No,10/01/2026,08:05:00 AM,10/01/2026,08:35:00 AM,00:30:00,\"dev, call\"\n"
            + "Mobile app,Acme,After lunch,Yes,01.10.2026,1:30 PM,,,1.5,\n";
        var result = (await other.ImportAsync("clockify", clockify, tz: "America/New_York")).Expect(HttpStatusCode.Created)["import"];
        Assert.Equal(2, result.GetProperty("created").GetInt32());
        var entries = (await other.AllEntriesAsync()).OrderBy(e => e.Str("started_at")).ToList();
        Assert.Equal(("2026-10-01T12:05:00.000Z", 1800L, false), (entries[0].Str("started_at"), entries[0].Long("duration_seconds"), entries[0].GetProperty("billable").GetBoolean()));
        Assert.Equal(["dev", "call"], entries[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(("2026-10-01T17:30:00.000Z", "2026-10-01T19:00:00.000Z"), (entries[1].Str("started_at"), entries[1].Str("ended_at")));

        // Harvest has no clock: a day's entries follow each other from 09:00 in the zone.
        const string harvest = "Date,Client,Project,Notes,Hours,Billable?,Billable Rate,Currency\n"
            + "2026-10-05,Acme,Mobile app,First,1.25,Yes,100,US Dollar - USD\n2026-10-05,Acme,Mobile app,Second,0:45,Yes,100,US Dollar - USD\n";
        (await other.ImportAsync("harvest", harvest, tz: "Europe/Berlin")).Expect(HttpStatusCode.Created);
        var harvested = (await other.AllEntriesAsync()).Where(e => e.Str("started_at").StartsWith("2026-10-05", StringComparison.Ordinal)).OrderBy(e => e.Str("started_at")).ToList();
        Assert.Equal(["2026-10-05T07:00:00.000Z", "2026-10-05T08:15:00.000Z"], harvested.Select(e => e.Str("started_at")));
        Assert.All(harvested, e => Assert.Equal((100m, "USD"), (e.GetProperty("rate").GetDecimal(), e.Str("currency"))));
    }

    [Fact]
    public async Task Existing_clients_and_projects_are_found_by_name_and_their_rate_applies_unless_the_file_has_one() // R23, R19, R30
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await api.CreateClientAsync("Acme GmbH", "EUR", 70m);
        var project = await api.CreateProjectAsync(client, "Mobile App", rate: 95m);
        const string toggl = "Client,Project,Description,Billable,Start date,Start time,End date,End time,Duration,Tags\n"
            + "  acme gmbh ,MOBILE APP  ,One,Yes,2026-10-01,09:00:00,2026-10-01,10:00:00,01:00:00,\n"
            + "Acme GmbH,Website,Two,Yes,2026-10-01,10:00:00,2026-10-01,10:30:00,00:30:00,\n";
        var result = (await api.ImportAsync("toggl", toggl)).Expect(HttpStatusCode.Created)["import"];
        Assert.Equal((2, 0, 1), (result.GetProperty("created").GetInt32(), result.GetProperty("clients_created").GetInt32(), result.GetProperty("projects_created").GetInt32()));
        var entries = (await api.AllEntriesAsync()).ToDictionary(e => e.Str("description"));
        Assert.Equal((project, 95m, "95.00"), (entries["One"].Str("project_id"), entries["One"].GetProperty("rate").GetDecimal(), entries["One"].Str("amount")));
        Assert.Equal((70m, "35.00"), (entries["Two"].GetProperty("rate").GetDecimal(), entries["Two"].Str("amount"))); // the client's default

        // A file in another currency than the client's: those rows fail, never converted (R20).
        const string harvest = "Date,Client,Project,Notes,Hours,Billable?,Billable Rate,Currency\n2026-10-02,Acme GmbH,Mobile App,Three,2,Yes,120,USD\n";
        var mismatch = (await api.ImportAsync("harvest", harvest)).Expect(HttpStatusCode.Created)["import"];
        Assert.Equal((0, "currency_mismatch", 2), (mismatch.GetProperty("created").GetInt32(), mismatch.GetProperty("failed")[0].Str("code"), mismatch.GetProperty("failed")[0].GetProperty("line").GetInt32()));
    }

    [Fact]
    public async Task A_database_failure_part_way_writes_nothing() // R30: the good rows all or nothing
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await using (var db = await server.OpenDatabaseAsync())
        await using (var command = db.CreateCommand())
        {
            command.CommandText = """
                CREATE OR REPLACE FUNCTION hd_test_refuse_import() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
                DROP TRIGGER IF EXISTS hd_test_refuse_import ON time_entries;
                CREATE TRIGGER hd_test_refuse_import BEFORE INSERT ON time_entries FOR EACH ROW
                    WHEN (NEW.description = 'explode here') EXECUTE FUNCTION hd_test_refuse_import();
                """;
            await command.ExecuteNonQueryAsync();
        }

        try
        {
            var csv = new StringBuilder("Client,Project,Description,Billable,Start date,Start time,End date,End time,Duration,Tags\n");
            for (var i = 0; i < 50; i++)
            {
                csv.Append(CultureInfo.InvariantCulture, $"New client,New project,{(i == 37 ? "explode here" : $"row {i}")},Yes,2026-10-{1 + (i % 28):00},09:{i:00}:00,,,00:01:00,\n");
            }

            var reply = await api.ImportAsync("toggl", csv.ToString());

            Assert.True((int)reply.Status >= 500, $"{reply.Status} {reply.Body}");
            Assert.Empty(await api.AllEntriesAsync());
            Assert.Empty((await api.GetAsync("/api/v1/clients"))["clients"].EnumerateArray()); // nor the client it created
        }
        finally
        {
            await using var db = await server.OpenDatabaseAsync();
            await using var command = db.CreateCommand();
            command.CommandText = "DROP TRIGGER hd_test_refuse_import ON time_entries";
            await command.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task Agent_tokens_and_viewers_cannot_import() // R22
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (_, agent) = await owner.CreateAgentAsync();
        var csv = Files.Sample("harvest.csv");
        (await agent.ImportAsync("harvest", csv)).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        var (viewer, _, _) = await owner.AddPersonAsync("viewer");
        (await viewer.ImportAsync("harvest", csv)).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        Assert.Empty(await owner.AllEntriesAsync());
    }

    [Theory]
    [InlineData("asana", "Date,Project,Hours\n2026-10-01,X,1\n", null, 422, "validation_failed")]
    [InlineData("harvest", "Project,Hours\nX,1\n", null, 422, "import_header")]
    [InlineData("toggl", "", null, 422, "import_header")]
    [InlineData("harvest", "Date,Project,Hours\n2026-10-01,X,1\n", "&tz=Nowhere/Special", 422, "unknown_time_zone")]
    [InlineData("harvest", "Date,Project,Hours\n2026-10-01,X,1\n", "&dry_run=maybe", 422, "validation_failed")]
    [InlineData("harvest", "Date,Project,Hours\n2026-10-01,X,1\n", "&currency=XYZ", 422, "validation_failed")]
    public async Task A_file_that_is_not_the_sources_export_is_refused_whole(string source, string csv, string? extra, int status, string code) // R24, R30
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        using var content = new StringContent(csv, Encoding.UTF8, "text/csv");
        using var response = await api.Http.PostAsync($"/api/v1/imports?source={source}{extra}", content);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Str("code"));
        Assert.Empty(await api.AllEntriesAsync());
    }

    [Fact]
    public async Task Files_past_the_size_or_row_limit_and_odd_bytes_are_refused_without_a_5xx() // R24
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var header = "Date,Project,Hours\n";
        var big = header + string.Concat(Enumerable.Repeat("2026-10-01,X,0.01\n", 400_000));
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/imports?source=harvest") { Content = new StringContent(big, Encoding.UTF8, "text/csv") })
        {
            // As curl sends a large body: the server answers before it is sent.
            request.Headers.ExpectContinue = true;
            using var tooLarge = await api.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
            Assert.Equal("payload_too_large", JsonDocument.Parse(await tooLarge.Content.ReadAsStringAsync()).RootElement.Str("code"));
        }

        var many = header + string.Concat(Enumerable.Repeat("2026-10-01,X,0.01\n", 10_001));
        (await api.ImportAsync("harvest", many)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "import_too_large");

        using var latin1 = new ByteArrayContent([.. Encoding.UTF8.GetBytes(header), (byte)'2', 0xE9, 0xFF, (byte)'\n']);
        using var response = await api.Http.PostAsync("/api/v1/imports?source=harvest", latin1);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);

        const string odd = "Date,Project,Hours,Notes\n2026-10-01,\"unclosed,1,x\n9999-12-31,X,1,\n2026-10-01,X,-1,\n2026-10-01,X,1,\u0000nul\n";
        var reply = await api.ImportAsync("harvest", odd);
        Assert.True(reply.Status is HttpStatusCode.Created or HttpStatusCode.UnprocessableEntity, $"{reply.Status} {reply.Body}");
    }
}
