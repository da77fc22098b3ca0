using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary>
/// <c>hourdini budget show|set|remove PROJECT</c> (R32): a project's budget in hours or in its client's money, with a
/// warning and a critical threshold in percent, and how much of it billable entries and open sessions use.
/// </summary>
public static class BudgetCommands
{
    public static Command Create(CommonOptions common)
    {
        var command = new Command("budget", "Show, set and remove a project's budget in hours or money.");
        command.Subcommands.Add(ShowCommand(common));
        command.Subcommands.Add(Set(common));
        command.Subcommands.Add(Remove(common));
        return command;
    }

    private static Argument<string> ProjectArgument() => new("project") { Description = "The project's id, or part of its name (one project)." };

    /// <summary><c>hourdini budget show PROJECT</c>: a project without a budget is a note, not an error (exit 0).</summary>
    private static Command ShowCommand(CommonOptions common)
    {
        var project = ProjectArgument();
        var command = new Command("show", "Show a project's budget: its limit, what is used, its thresholds and status.") { project };
        string? id = null;
        common.Action(
            command,
            async (parse, api, ct) =>
            {
                id = await CatalogCommands.ResolveAsync(api, parse.GetValue(project)!, ct);
                return await api.GetAsync($"projects/{id}/budget", ct);
            },
            (body, names) => Show(body, names.Project(id!)));
        return command;
    }

    /// <summary>
    /// <c>hourdini budget set PROJECT --hours N | --money N [--warn P] [--critical P]</c>: a new budget, or a change. A
    /// threshold not given keeps the budget's current one (the API would reset it to its default), as the web form does.
    /// </summary>
    private static Command Set(CommonOptions common)
    {
        var project = ProjectArgument();
        var hours = LimitOption("--hours", "The limit in hours, e.g. 40.", "--hours must be a positive number like 40 or 37.5.");
        var money = LimitOption("--money", "The limit in the client's currency, e.g. 2000.", "--money must be a positive amount like 2000 or 2000.50.");
        var warn = PercentOption("--warn", "Warn at this percentage used (default: the current one, else 80).");
        var critical = PercentOption("--critical", "Critical at this percentage used (default: the current one, else 100).");
        var command = new Command("set", "Set or change a project's budget: --hours or --money, with optional thresholds.") { project, hours, money, warn, critical };
        command.Validators.Add(result =>
        {
            var (byHours, byMoney) = (result.GetResult(hours) is not null, result.GetResult(money) is not null);
            if (byHours == byMoney)
            {
                result.AddError(byHours ? "Give either --hours or --money, not both." : "Give either --hours or --money.");
            }
        });
        string? id = null;
        common.Action(
            command,
            async (parse, api, ct) =>
            {
                id = await CatalogCommands.ResolveAsync(api, parse.GetValue(project)!, ct);
                var (warnPercent, criticalPercent) = (parse.GetValue(warn), parse.GetValue(critical));
                if (warnPercent is null || criticalPercent is null)
                {
                    // The one not given is the budget's current one, else the API's default (80 and 100). When it would
                    // sit on the wrong side of the one given, say so here: the API's refusal names a value not typed.
                    var current = (await api.GetAsync($"projects/{id}/budget", ct)).GetProperty("budget");
                    var kept = current.ValueKind == JsonValueKind.Object ? "the budget's current one" : "the default";
                    var givenWarn = warnPercent;
                    warnPercent ??= current.ValueKind == JsonValueKind.Object ? current.GetProperty("warn_percent").GetInt32() : 80;
                    criticalPercent ??= current.ValueKind == JsonValueKind.Object ? current.GetProperty("critical_percent").GetInt32() : 100;
                    if (warnPercent > criticalPercent)
                    {
                        throw new CliException(
                            givenWarn is null
                                ? $"--critical {criticalPercent} is below the warning at {warnPercent} % ({kept}): give --warn too, at most {criticalPercent}."
                                : $"--warn {warnPercent} is above the critical threshold at {criticalPercent} % ({kept}): give --critical too, at least {warnPercent}.",
                            "validation_failed");
                    }
                }

                return await api.PutAsync($"projects/{id}/budget", new
                {
                    kind = parse.GetValue(hours) is null ? "money" : "hours",
                    limit = parse.GetValue(hours) ?? parse.GetValue(money),
                    warn_percent = warnPercent,
                    critical_percent = criticalPercent,
                }, ct);
            },
            (body, names) => Show(body, names.Project(id!)));
        return command;
    }

    /// <summary><c>hourdini budget remove PROJECT</c>: its thresholds stop being watched; a project without one is <c>not_found</c>.</summary>
    private static Command Remove(CommonOptions common)
    {
        var project = ProjectArgument();
        var command = new Command("remove", "Remove a project's budget.") { project };
        common.Action(
            command,
            async (parse, api, ct) =>
            {
                var id = await CatalogCommands.ResolveAsync(api, parse.GetValue(project)!, ct);
                await api.DeleteAsync($"projects/{id}/budget", ct);
                return JsonSerializer.SerializeToElement(new { removed = id });
            },
            (body, names) => Output.Line($"Removed the budget of {names.Project(Output.Str(body, "removed"))}."));
        return command;
    }

    private static void Show(JsonElement body, string project)
    {
        if (body.GetProperty("budget") is not { ValueKind: JsonValueKind.Object } budget)
        {
            Output.Note($"{project} has no budget. Set one with: hourdini budget set \"{project}\" --hours 40 (or --money 2000).");
            return;
        }

        var byHours = Output.Str(budget, "kind") == "hours";
        Output.Table(
            [new("Project", Flex: true), "Kind", new("Limit", Right: true), new("Used", Right: true), new("Used %", Right: true),
                new("Warn", Right: true), new("Critical", Right: true), "Status", "Currency"],
            [[
                project,
                Output.Str(budget, "kind"),
                Amount(budget, "limit", byHours),
                Amount(budget, "used", byHours),
                Percent(budget, "used_percent"),
                Percent(budget, "warn_percent"),
                Percent(budget, "critical_percent"),
                Output.Str(budget, "status"),
                byHours ? "" : Output.Str(budget, "currency"),
            ]]);
    }

    /// <summary>
    /// Hours as "37.5 h", money with two decimals; scripts get the API's value. Null (an agent's view of a budget in
    /// money, R22) reads "hidden", and is empty for scripts.
    /// </summary>
    private static Field Amount(JsonElement budget, string property, bool hours)
    {
        var plain = Output.Str(budget, property);
        if (!decimal.TryParse(plain, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return new Field("hidden", "");
        }

        return new Field(hours ? $"{value.ToString("0.##", CultureInfo.InvariantCulture)} h" : value.ToString("0.00", CultureInfo.InvariantCulture), plain);
    }

    private static Field Percent(JsonElement budget, string property) => Output.Str(budget, property) is { Length: > 0 } percent ? new Field($"{percent} %", percent) : "";

    private static Option<decimal?> LimitOption(string name, string description, string error) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            if (CatalogCommands.Money(result.Tokens[0].Value) is decimal limit and > 0)
            {
                return limit;
            }

            result.AddError(error);
            return null;
        },
    };

    private static Option<int?> PercentOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            if (int.TryParse(result.Tokens[0].Value.TrimEnd('%', ' '), NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && percent > 0)
            {
                return percent;
            }

            result.AddError($"{name} must be a whole percentage like {(name == "--warn" ? 80 : 100)}.");
            return null;
        },
    };
}
