using System.CommandLine;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini projects</c> and <c>hourdini clients</c>: what work can be tracked on, by name.</summary>
public static class CatalogCommands
{
    public static Command Projects(CommonOptions common)
    {
        var query = new Argument<string?>("name") { Description = "Only projects whose name contains this.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("projects", "List the org's projects with their client and rates; change a project's rates.") { query, Set(common) };
        common.Action(
            command,
            async (parse, api, ct) =>
            {
                var projects = (await api.GetAsync("projects" + CommonOptions.Query(("q", parse.GetValue(query))), ct)).GetProperty("projects");
                return JsonSerializer.SerializeToElement(new { projects, clients = await ClientsForAsync(api, projects, ct) });
            },
            body => Output.Table(
                [new("Project", Flex: true), new("Client", Flex: true), new("Rate", Right: true), "Agents billed", new("Id", TsvOnly: true)],
                body.GetProperty("projects").EnumerateArray().Select(p => (IReadOnlyList<Field>)
                [
                    Output.Str(p, "name") + (Names.Archived(p) ? " (archived)" : ""),
                    ClientName(p, body.GetProperty("clients")),
                    p.TryGetProperty("effective_rate", out var rate) ? $"{rate}/h {Output.Str(p, "currency")}" : "",
                    p.GetProperty("bill_agent_time").GetBoolean() ? "yes" : "no",
                    Output.Str(p, "id"),
                ])));
        return command;
    }

    /// <summary>
    /// The clients the projects' answer names by id only (a person's view), so that the table can show their names. An
    /// agent's view already carries each project's <c>client_name</c>, and agents may not list clients (R22): then none
    /// are read, and a refusal to list them leaves the column to the names the projects carry.
    /// </summary>
    private static async Task<JsonElement> ClientsForAsync(HourdiniApi api, JsonElement projects, CancellationToken ct)
    {
        if (projects.EnumerateArray().All(p => p.TryGetProperty("client_name", out _) || Output.Str(p, "client_id").Length == 0))
        {
            return JsonSerializer.SerializeToElement(Array.Empty<object>());
        }

        try
        {
            return (await api.GetAsync("clients", ct)).GetProperty("clients");
        }
        catch (CliException e) when (e.Status == 403)
        {
            return JsonSerializer.SerializeToElement(Array.Empty<object>());
        }
    }

    /// <summary>A project's client by name: the name the project carries (an agent's view), else the listed client with its id.</summary>
    private static string ClientName(JsonElement project, JsonElement clients) =>
        Output.Str(project, "client_name") is { Length: > 0 } name
            ? name
            : clients.EnumerateArray().FirstOrDefault(c => Output.Str(c, "id") == Output.Str(project, "client_id")) is { ValueKind: JsonValueKind.Object } client
                ? Output.Str(client, "name")
                : "";

    /// <summary><c>hourdini projects set PROJECT</c>: a project's rate, agent rate (R26) and Bill agent time (R5).</summary>
    private static Command Set(CommonOptions common)
    {
        var project = new Argument<string>("project") { Description = "The project's id, or part of its name (one project)." };
        var rate = new Option<string?>("--rate") { Description = "Hourly rate, or 'none' to use the client's default rate." };
        var agentRate = new Option<string?>("--agent-rate") { Description = "Hourly rate for billed agent time, or 'none' to bill it at the rate." };
        var billAgentTime = new Option<bool?>("--bill-agent-time") { Description = "true or false: whether time an agent works on its own is billable." };
        var set = new Command("set", "Change a project's rate, agent rate or Bill agent time; sessions already started keep theirs.") { project, rate, agentRate, billAgentTime };
        set.Validators.Add(result =>
        {
            foreach (var option in new[] { rate, agentRate })
            {
                if (result.GetValue(option) is { } text && text != "none" && Money(text) is null)
                {
                    result.AddError($"{option.Name} must be an amount like 85 or 85.50, or 'none'.");
                }
            }
        });
        common.Action(
            set,
            async (parse, api, ct) =>
            {
                var id = await ResolveAsync(api, parse.GetValue(project)!, ct);
                var (rateText, agentText) = (parse.GetValue(rate), parse.GetValue(agentRate));
                return await api.PatchAsync($"projects/{id}", new
                {
                    rate = rateText is null or "none" ? null : Money(rateText),
                    clear_rate = rateText == "none" ? true : (bool?)null,
                    agent_rate = agentText is null or "none" ? null : Money(agentText),
                    clear_agent_rate = agentText == "none" ? true : (bool?)null,
                    bill_agent_time = parse.GetValue(billAgentTime),
                }, ct);
            },
            body =>
            {
                var p = body.GetProperty("project");
                var agent = p.TryGetProperty("agent_rate", out var a) && a.ValueKind == JsonValueKind.Number ? $"{a}/h" : "the rate";
                Output.Line($"{Output.Str(p, "name")}: {p.GetProperty("effective_rate")}/h {Output.Str(p, "currency")}, agent time billed: " +
                    $"{(p.GetProperty("bill_agent_time").GetBoolean() ? $"yes, at {agent}" : "no")}.");
            });
        return set;
    }

    /// <summary>A project named by id, or by part of its name when exactly one project matches.</summary>
    public static async Task<string> ResolveAsync(HourdiniApi api, string project, CancellationToken ct)
    {
        if (Guid.TryParse(project, out _))
        {
            return project;
        }

        var found = (await api.GetAsync("projects" + CommonOptions.Query(("q", project)), ct)).GetProperty("projects").EnumerateArray()
            .Where(p => !(p.TryGetProperty("archived", out var archived) && archived.GetBoolean())).ToList();
        var exact = found.Where(p => string.Equals(Output.Str(p, "name"), project, StringComparison.OrdinalIgnoreCase)).ToList();
        return (exact.Count == 1 ? exact : found) switch
        {
            [var one] => Output.Str(one, "id"),
            [] => throw new CliException($"No project matches '{project}'.", "not_found"),
            var many => throw new CliException($"'{project}' matches {many.Count} projects: {string.Join(", ", many.Select(p => Output.Str(p, "name")))}. Be more precise.", "project_ambiguous"),
        };
    }

    /// <summary>An amount as the command line gives it (85, 85.50): no sign, no thousands separator.</summary>
    public static decimal? Money(string text) =>
        decimal.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    public static Command Clients(CommonOptions common)
    {
        var command = new Command("clients", "List the org's clients with their currency and default rate.");
        common.Action(
            command,
            (_, api, ct) => api.GetAsync("clients", ct),
            body => Output.Table(
                [new("Client", Flex: true), "Currency", new("Default rate", Right: true), new("Id", TsvOnly: true)],
                body.GetProperty("clients").EnumerateArray().Select(c => (IReadOnlyList<Field>)
                [
                    Output.Str(c, "name") + (Names.Archived(c) ? " (archived)" : ""),
                    Output.Str(c, "currency"),
                    c.GetProperty("default_rate").ToString(),
                    Output.Str(c, "id"),
                ])));
        return command;
    }
}
