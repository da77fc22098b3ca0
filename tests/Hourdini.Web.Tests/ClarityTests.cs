using System.Net;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// Issue 27, item 7 (part): a billable entry is marked with its own currency, not a dollar sign; the idle badge is
/// readable (contrast ≥ 4.5:1); a timeline shows seconds; an unknown address shows a page, not JSON.
/// </summary>
public sealed class ClarityTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task With_one_project_every_picker_has_it_chosen_and_a_second_project_asks_again()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var client = await api.CreateClientAsync("Initech");
        var only = await api.CreateProjectAsync(client, "Parser");

        await page.GotoAsync("/");
        foreach (var picker in new[] { "#new-session-project", "#start-project", "#manual-project" })
        {
            await Expect(page.Locator(picker)).ToHaveValueAsync(only);
        }

        await api.CreateProjectAsync(client, "Website");
        await page.ReloadAsync();
        await Expect(page.Locator("#start-project")).ToHaveValueAsync("");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_sessions_page_prices_agent_time_at_the_agent_rate_as_its_entry_does() // R26
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var client = await api.CreateClientAsync("Initech", rate: 3600m);
        var project = (await api.PostAsync("/api/v1/projects", new { client_id = client, name = "Agents", bill_agent_time = true, agent_rate = 360m }))
            .Expect(HttpStatusCode.Created)["project"].Str("id");
        var (_, agent) = await api.CreateAgentAsync();
        var session = (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created)["session"].Str("id");
        await Task.Delay(2100); // two seconds or more of agent time: 3600/h would make it 2.00 or more, 360/h makes it 0.20 or more
        var entryId = (await agent.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"].Str("id");
        var amount = (await api.GetAsync($"/api/v1/time-entries/{entryId}")).Expect(HttpStatusCode.OK)["time_entry"].Str("amount"); // the agent sees none (R22)
        Assert.True(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture) < 2m, $"priced at the agent rate: {amount}");

        await page.GotoAsync($"/sessions/{session}");
        await Expect(page.Locator(".stat.billable .stat-note")).ToHaveTextAsync($"{amount} EUR at 3,600.00 EUR/h hands-on, 360.00 EUR/h agent");
        await Expect(page.Locator(".entry-card")).ToContainTextAsync($"{amount} EUR at 3,600.00 EUR/h hands-on, 360.00 EUR/h agent");

        // The totals add up as the entry splits them (R25): active + billed agent = billable = the entry's duration.
        async Task<long> Total(string name) => (long)TimeSpan.Parse(await page.Locator($"[data-total={name}]").TextContentAsync() ?? "").TotalSeconds;
        var (active, agentTime, billable) = (await Total("active"), await Total("agent"), await Total("billable"));
        var duration = (await api.GetAsync($"/api/v1/time-entries/{entryId}"))["time_entry"].GetProperty("duration_seconds").GetInt64();
        Assert.Equal((billable, billable), (active + agentTime, duration));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Billable_entries_show_their_currency_the_idle_badge_reads_and_timelines_show_seconds()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Initech", currency: "EUR"), "Parser");
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = DateTimeOffset.UtcNow.AddHours(-1), duration_seconds = 600, description = "euro work" }))
            .Expect(HttpStatusCode.Created);
        var session = (await api.StartSessionAsync(project, "quick beats")).Str("id");
        await api.BeatAsync(session, "idle");

        await page.GotoAsync("/entries");
        var row = page.Locator("li.entry").Filter(new() { HasText = "euro work" });
        await Expect(row.Locator(".billable-mark")).ToHaveTextAsync("EUR");
        await Expect(row).Not.ToContainTextAsync("$");

        await page.GotoAsync($"/sessions/{session}");
        var idle = page.Locator(".badge.kind-idle").First;
        var colours = await idle.EvaluateAsync<string[]>("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]");
        var (ink, paper) = (colours[0], colours[1]);
        Assert.True(Contrast(ink, paper) >= 4.5, $"idle badge contrast {Contrast(ink, paper):F2}:1 ({ink} on {paper})");
        await Expect(page.Locator("ol.events time").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d\d:\d\d:\d\d$"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task An_unknown_address_shows_a_page_to_a_browser_and_a_problem_to_a_program()
    {
        var (page, _) = await browser.NewPageAsync();
        var response = await page.GotoAsync("/no/such/page");

        Assert.Equal(404, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Go to Today" })).ToBeVisibleAsync();

        using var program = new HttpClient { BaseAddress = browser.Server.BaseAddress };
        var api = await program.GetAsync("/no/such/page");
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Contains("\"code\":\"not_found\"", await api.Content.ReadAsStringAsync());
    }

    private static double Contrast(string a, string b)
    {
        static double Luminance(string css)
        {
            var parts = css[(css.IndexOf('(') + 1)..css.IndexOf(')')].Split(',').Take(3).Select(p => double.Parse(p.Trim(), System.Globalization.CultureInfo.InvariantCulture) / 255).ToArray();
            var linear = parts.Select(c => c <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4)).ToArray();
            return (0.2126 * linear[0]) + (0.7152 * linear[1]) + (0.0722 * linear[2]);
        }

        var (l1, l2) = (Luminance(a), Luminance(b));
        return (Math.Max(l1, l2) + 0.05) / (Math.Min(l1, l2) + 0.05);
    }
}
