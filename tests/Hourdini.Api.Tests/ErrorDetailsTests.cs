using System.Net;
using System.Text.RegularExpressions;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// Issue 28, item 2: a refusal's detail is for people: it says what happened and what to do, and never cites the rule
/// numbers of PRODUCT.md ("(R7)"), which mean nothing to them; the <c>code</c> is what machines match.
/// </summary>
public sealed partial class ErrorDetailsTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [GeneratedRegex(@"\bR\d{1,2}\b")]
    private static partial Regex RuleNumber();

    [Fact]
    public async Task Refusals_explain_themselves_without_rule_numbers()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Plain words");
        var session = (await api.StartSessionAsync(project)).Str("id");
        var (_, agent) = await api.CreateAgentAsync();
        var agentSession = (await agent.PostAsync("/api/v1/sessions", new { project_id = project, description = "agent run" }))
            .Expect(HttpStatusCode.Created)["session"].Str("id");

        var refusals = new List<Reply>
        {
            (await api.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project, description = "timer" }))
                .ExpectProblem(HttpStatusCode.Conflict, "session_active"),                                   // R3
            (await agent.PostAsync("/api/v1/sessions", new { project_id = project, description = "again" }))
                .ExpectProblem(HttpStatusCode.Conflict, "agent_session_open"),                               // R8
            (await agent.PostAsync($"/api/v1/sessions/{agentSession}/beat", new { kind = "active" }))
                .ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed"),                              // R21
        };
        await Task.Delay(1100); // a session shorter than a second writes no entry
        var entry = (await api.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"].Str("id");
        refusals.Add((await api.PostAsync($"/api/v1/sessions/{session}/beat", new { kind = "active" }))
            .ExpectProblem(HttpStatusCode.Conflict, "session_stopped"));                                    // R7
        refusals.Add((await api.SendAsync(HttpMethod.Delete, $"/api/v1/time-entries/{entry}"))
            .ExpectProblem(HttpStatusCode.Conflict, "entry_locked"));                                       // R7

        Assert.All(refusals, refusal =>
        {
            var detail = refusal["detail"].GetString()!;
            Assert.True(detail.Length > 20, $"{refusal.Code}: \"{detail}\" explains too little");
            Assert.False(RuleNumber().IsMatch(detail), $"{refusal.Code}: \"{detail}\" cites a rule number");
        });
    }
}
