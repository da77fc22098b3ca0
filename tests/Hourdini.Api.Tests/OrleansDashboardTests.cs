using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// Issue 28, item 3: the Orleans Dashboard is served only when enabled, and then only to the owners of the operators' org:
/// it shows every org's grains, so another org's owner (a customer), a member, an agent and an anonymous caller are refused.
/// </summary>
public sealed class OrleansDashboardTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task It_is_not_served_unless_enabled()
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Http.GetAsync("/admin/orleans/DashboardCounters")).StatusCode);
    }

    [Fact]
    public async Task Only_an_owner_of_the_operators_org_sees_the_cluster()
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();
        ApiClient operatorOwner, operatorMember, customer, agent;
        string operatorOrg;
        await using (var first = await HourdiniServer.StartNodeAsync(database))
        {
            (operatorOwner, _, var signup) = await ApiClient.SignUpAsync(first.BaseAddress);
            operatorOrg = signup.GetProperty("org").Str("id");
            (operatorMember, _, _) = await operatorOwner.AddPersonAsync("member");
            (customer, _, _) = await ApiClient.SignUpAsync(first.BaseAddress);
            (_, agent) = await customer.CreateAgentAsync();
        }

        await using var node = await HourdiniServer.StartNodeAsync(database, new()
        {
            ["Hourdini:Dashboard:Enabled"] = "true",
            ["Hourdini:Dashboard:OperatorOrg"] = operatorOrg,
        });
        ApiClient On(ApiClient client) => new(new HttpClient(new HttpClientHandler { UseCookies = false })
        {
            BaseAddress = node.BaseAddress,
            DefaultRequestHeaders = { Authorization = client.Http.DefaultRequestHeaders.Authorization },
        });
        var path = "/admin/orleans/DashboardCounters";

        (await ApiClient.Anonymous(node.BaseAddress).GetAsync(path)).ExpectProblem(HttpStatusCode.Unauthorized, "unauthorized");
        (await On(customer).GetAsync(path)).ExpectProblem(HttpStatusCode.Forbidden, "not_operator");
        (await On(agent).GetAsync(path)).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");

        var member = await operatorMember.Http.GetAsync(new Uri(node.BaseAddress, path)); // its cookie, on the new node
        Assert.Equal(HttpStatusCode.Forbidden, member.StatusCode);
        Assert.Contains("\"forbidden\"", await member.Content.ReadAsStringAsync());

        // The dashboard gathers the silos' figures every few seconds: the first answer may count none yet.
        var hosts = 0;
        for (var i = 0; i < 40 && hosts == 0; i++)
        {
            await Task.Delay(i == 0 ? 0 : 500);
            hosts = (await On(operatorOwner).GetAsync(path)).Expect(HttpStatusCode.OK)["totalActiveHostCount"].GetInt32();
        }

        Assert.True(hosts >= 1, "the dashboard counted no silo within 20 s");
        var page = await On(operatorOwner).Http.GetAsync("/admin/orleans/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("text/html", page.Content.Headers.ContentType?.ToString());
        Assert.Contains("font-src 'self' data:", page.Headers.GetValues("Content-Security-Policy").Single()); // its embedded icon font, here only
        var app = await On(operatorOwner).Http.GetAsync("/api/v1/me");
        Assert.DoesNotContain("font-src", app.Headers.GetValues("Content-Security-Policy").Single());
    }
}
