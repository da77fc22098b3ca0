using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// R29 and R30 together: a month exported from one org, written as each tool's detailed export and imported into a fresh
/// org, gives the same entries, seconds and amounts per currency.
/// </summary>
public sealed class RoundTripTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    private const string Zone = "Europe/Berlin";

    [Theory]
    [InlineData("toggl")]
    [InlineData("clockify")]
    [InlineData("harvest")]
    public async Task A_month_exported_and_imported_into_a_fresh_org_has_the_same_totals(string format) // R29, R30, R20
    {
        var (source, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await source.CreateClientAsync("Café Ñandú", "EUR", 85m);
        await source.CreateClientAsync("Zoë Müller Design", "EUR", 120m);
        await source.CreateClientAsync("Acme GmbH", "EUR", 150m);
        var acmeMobile = await source.CreateProjectAsync(
            (await source.GetAsync("/api/v1/clients"))["clients"].EnumerateArray().Single(c => c.Str("name") == "Acme GmbH").Str("id"), "Mobile app", rate: 160m);
        (await source.ImportAsync("toggl", Files.Sample("toggl.csv"), tz: Zone)).Expect(HttpStatusCode.Created);
        Assert.NotEmpty(await source.AllEntriesAsync($"&project_id={acmeMobile}"));
        var month = Files.Rows((await source.ExportAsync($"from=2026-11-01&to=2026-11-30&format=csv&tz={Zone}")).Text);
        Assert.True(month.Count > 50);

        var (fresh, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var result = (await fresh.ImportAsync(format, Write(format, month), tz: Zone)).Expect(HttpStatusCode.Created)["import"];

        Assert.Equal((month.Count, month.Count, 0), (result.GetProperty("rows").GetInt32(), result.GetProperty("created").GetInt32(), result.GetProperty("failed").GetArrayLength()));
        var (before, after) = (await TotalsAsync(source), await TotalsAsync(fresh));
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var currency in before.Keys)
        {
            Assert.Equal(before[currency].Seconds, after[currency].Seconds);
            Assert.Equal(before[currency].Billable, after[currency].Billable);
            Assert.Equal(before[currency].Entries, after[currency].Entries);

            // Toggl's detailed export has no rate (only an amount), so its entries take the new projects' rate, 0.
            Assert.Equal(format == "toggl" ? 0m : before[currency].Amount, after[currency].Amount);
        }

        if (format != "harvest") // Harvest keeps no clock times
        {
            var starts = (await fresh.AllEntriesAsync()).Select(e => e.Str("started_at")).Order();
            Assert.Equal((await source.AllEntriesAsync("&from=2026-10-31T23:00:00Z&to=2026-11-30T23:00:00Z")).Where(e => string.CompareOrdinal(e.Str("started_at"), "2026-10-31T23:00:00Z") >= 0).Select(e => e.Str("started_at")).Order(), starts);
        }
    }

    private sealed record Total(long Seconds, long Billable, decimal Amount, long Entries);

    /// <summary>November in Berlin, per currency: seconds, billable seconds, amount (sum of the entries' amounts) and entries.</summary>
    private static async Task<Dictionary<string, Total>> TotalsAsync(ApiClient api)
    {
        var entries = (await api.AllEntriesAsync("&from=2026-10-31T23:00:00Z&to=2026-11-30T23:00:00Z"))
            .Where(e => string.CompareOrdinal(e.Str("started_at"), "2026-10-31T23:00:00Z") >= 0);
        return entries.GroupBy(e => e.Str("currency")).ToDictionary(g => g.Key, g => new Total(
            g.Sum(e => e.Long("duration_seconds")), g.Where(e => e.GetProperty("billable").GetBoolean()).Sum(e => e.Long("duration_seconds")),
            g.Sum(e => decimal.Parse(e.Str("amount"), CultureInfo.InvariantCulture)), g.LongCount()));
    }

    /// <summary>The export's rows as the tool would have written them.</summary>
    private static string Write(string format, List<Dictionary<string, string>> rows)
    {
        static string Q(string value) => value.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
        static DateTime Local(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture).DateTime;
        static string Hms(long s) => $"{s / 3600:00}:{s % 3600 / 60:00}:{s % 60:00}";
        var csv = new StringBuilder();
        void Line(params string[] fields) => csv.Append(string.Join(',', fields.Select(Q))).Append("\r\n");
        var inv = CultureInfo.InvariantCulture;
        switch (format)
        {
            case "toggl":
                Line("User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start date", "Start time", "End date", "End time", "Duration", "Tags", "Amount (EUR)");
                foreach (var r in rows)
                {
                    var (start, end) = (Local(r["start"]), Local(r["end"]));
                    Line(r["user"], r["email"], r["client"], r["project"], "", r["description"], r["billable"] == "true" ? "Yes" : "No", start.ToString("yyyy-MM-dd", inv),
                        start.ToString("HH:mm:ss", inv), end.ToString("yyyy-MM-dd", inv), end.ToString("HH:mm:ss", inv), Hms(long.Parse(r["duration_seconds"], inv)), r["tags"], r["amount"]);
                }

                break;
            case "clockify":
                // Clockify names its one currency in the rate's header.
                Line("Project", "Client", "Description", "Task", "User", "Email", "Tags", "Billable", "Start Date", "Start Time", "End Date", "End Time", "Duration (h)", "Billable Rate (EUR)");
                foreach (var r in rows)
                {
                    var (start, end) = (Local(r["start"]), Local(r["end"]));
                    Line(r["project"], r["client"], r["description"], "", r["user"], r["email"], r["tags"], r["billable"] == "true" ? "Yes" : "No",
                        start.ToString("MM/dd/yyyy", inv), start.ToString("hh:mm:ss tt", inv), end.ToString("MM/dd/yyyy", inv), end.ToString("hh:mm:ss tt", inv),
                        Hms(long.Parse(r["duration_seconds"], inv)), r["rate"]);
                }

                break;
            default:
                Line("Date", "Client", "Project", "Task", "Notes", "Hours", "Billable?", "First Name", "Last Name", "Billable Rate", "Currency");
                foreach (var r in rows)
                {
                    var hours = (decimal.Parse(r["duration_seconds"], inv) / 3600m).ToString("0.######", inv);
                    Line(r["date"], r["client"], r["project"], "Work", r["description"], hours, r["billable"] == "true" ? "Yes" : "No", "Zoë", "Müller", r["rate"], r["currency"]);
                }

                break;
        }

        return csv.ToString();
    }
}
