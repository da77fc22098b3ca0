using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>The web app's pages over plain HTTP: who may see them, and odd input that must not break them.</summary>
public class WebPagesTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Theory]
    [InlineData("/", "%2F")]
    [InlineData("/entries?from=2026-01-01", "%2Fentries%3Ffrom%3D2026-01-01")]
    [InlineData("/settings/tokens", "%2Fsettings%2Ftokens")]
    public async Task A_page_without_a_web_session_sends_the_browser_to_login_and_back(string path, string next)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/login?next={next}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_bearer_token_is_not_a_web_session()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = pat.Http.DefaultRequestHeaders.Authorization;
        Assert.Equal(HttpStatusCode.Redirect, (await http.GetAsync("/entries")).StatusCode);
    }

    [Theory]
    [InlineData("/entries?from=9999-12-31&to=9999-12-31")]
    [InlineData("/entries?from=2026-13-45&to=yesterday")]
    [InlineData("/entries?from=2026-11-21&to=2020-01-01")]
    [InlineData("/entries?from=2000-01-01&to=2026-01-01")]
    [InlineData("/entries?project_id=%27%20OR%201%3D1%20--")]
    public async Task Odd_entry_filters_fall_back_to_the_last_7_days_with_a_message(string path)
    {
        var (_, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var response = await browser.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<h1>Time entries</h1>", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("../../../../etc/passwd", "UTC")]
    [InlineData("Not/A/Real/Zone", "UTC")]
    [InlineData("Europe/Berlin", "Europe/Berlin")]
    public async Task The_time_zone_cookie_is_used_only_when_it_names_a_time_zone(string cookie, string used)
    {
        var (_, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("Cookie", $"tz={Uri.EscapeDataString(cookie)}");
        var response = await browser.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"data-tz=\"{used}\"", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public async Task An_unknown_session_page_is_not_found(string id)
    {
        var (_, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var response = await browser.Http.GetAsync($"/sessions/{id}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Session not found", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Switching_org_needs_a_membership_there_and_a_web_session()
    {
        var (pat, browser, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (agencyPat, _, agency) = await ApiClient.SignUpAsync(server.BaseAddress);
        var agencyOrg = agency.GetProperty("org").Str("id");

        (await browser.PostAsync("/api/v1/auth/switch", new { org_id = agencyOrg })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await browser.PostAsync("/api/v1/auth/switch", new { org_id = "nope" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");

        var email = signup.GetProperty("user").Str("email");
        var invitation = await agencyPat.InviteAsync(email, "viewer");
        (await browser.PostAsync("/api/v1/auth/switch", new { org_id = agencyOrg })).ExpectProblem(HttpStatusCode.NotFound, "not_found"); // not before accepting
        (await browser.PostAsync("/api/v1/invitations/accept", new { accept_token = invitation })).Expect(HttpStatusCode.OK);
        (await pat.PostAsync("/api/v1/auth/switch", new { org_id = agencyOrg })).ExpectProblem(HttpStatusCode.Forbidden, "cookie_required");
        (await browser.PostAsync("/api/v1/auth/switch", new { org_id = agencyOrg })).Expect(HttpStatusCode.OK);

        var me = (await browser.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        Assert.Equal(agencyOrg, me["org"].Str("id"));
        Assert.Equal("viewer", me["role"].GetString());
        var orgs = (await browser.GetAsync("/api/v1/me/orgs")).Expect(HttpStatusCode.OK)["orgs"].EnumerateArray().ToList();
        Assert.Equal(2, orgs.Count);
        Assert.Equal(agencyOrg, orgs.Single(o => o.GetProperty("current").GetBoolean()).GetProperty("org").Str("id"));
        Assert.Equal(signup.GetProperty("org").Str("id"), (await pat.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK)["org"].Str("id")); // the token stays put
    }
}
