using System.Globalization;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage.Budgets;
using Hourdini.Silo.Storage.Catalog;

namespace Hourdini.Gateway.Api;

/// <summary>R32: a project's budget (API.md "Budgets"): set, read with what is used, removed.</summary>
public static class Budgets
{
    /// <summary>The limit in hours or in the client's currency; warnings at <c>warn_percent</c> (80) and <c>critical_percent</c> (100).</summary>
    [OpenApi.Requires("kind", "limit")]
    public sealed record BudgetRequest([property: OpenApi.Values("hours", "money")] string? Kind, decimal? Limit, int? WarnPercent, int? CriticalPercent);

    public static void MapBudgets(this RouteGroupBuilder api)
    {
        var budget = api.MapGroup("/projects/{id}/budget").RequireAuthorization().WithTags("Projects");
        budget.MapPut("", async (string id, BudgetRequest body, HttpContext context, CatalogStore catalog, BudgetStore budgets) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var project = await VisibleProjectAsync(id, context, catalog);
            var kind = body.Kind is "hours" or "money" ? body.Kind : throw Refusal.Invalid("kind must be \"hours\" or \"money\".");
            var limit = Validate.Money(body.Limit, "limit");
            var warn = body.WarnPercent ?? 80;
            var critical = body.CriticalPercent ?? 100;
            // Each refusal names its field (problem details' field), so a form says it next to that field.
            if (limit <= 0)
            {
                throw Refusal.Invalid("limit must be above 0.").About("limit");
            }

            foreach (var (name, percent) in new[] { ("warn_percent", warn), ("critical_percent", critical) })
            {
                if (percent is < 1 or > 1000)
                {
                    throw Refusal.Invalid($"{name} must be between 1 and 1000.").About(name);
                }
            }

            if (warn > critical)
            {
                throw Refusal.Invalid("warn_percent must not be above critical_percent.").About("warn_percent");
            }

            await budgets.SetAsync(caller.OrgId, project, kind, limit, warn, critical, context.RequestAborted);
            return Results.Ok(new { budget = View(await budgets.StatusAsync(caller.OrgId, project, context.RequestAborted), caller) });
        }).Returns<OpenApi.BudgetReply>("setBudget", "Set a project's budget");
        budget.MapGet("", async (string id, HttpContext context, CatalogStore catalog, BudgetStore budgets) =>
        {
            var project = await VisibleProjectAsync(id, context, catalog);
            var caller = context.Caller();
            return Results.Ok(new { budget = View(await budgets.StatusAsync(caller.OrgId, project, context.RequestAborted), caller) });
        }).Returns<OpenApi.BudgetReply>("getBudget", "Read a project's budget and what is used of it (null when it has none)");
        budget.MapDelete("", async (string id, HttpContext context, CatalogStore catalog, BudgetStore budgets) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var project = await VisibleProjectAsync(id, context, catalog);
            return await budgets.DeleteAsync(caller.OrgId, project, context.RequestAborted) ? Results.NoContent() : throw Refusal.NotFound("Budget");
        }).ReturnsNothing("deleteBudget", "Remove a project's budget");
    }

    /// <summary>What an agent's session start and pull carry about its project's budget (R32): its status, or null.</summary>
    public static async Task<object?> ForProjectAsync(HttpContext context, Caller caller, Guid? projectId)
    {
        if (projectId is not { } project)
        {
            return null;
        }

        var budgets = context.RequestServices.GetRequiredService<BudgetStore>();
        return View(await budgets.StatusAsync(caller.OrgId, project, context.RequestAborted), caller);
    }

    /// <summary>
    /// The budget as <paramref name="caller"/> may see it. An agent sees a money budget's status and percentages but not
    /// its <c>limit</c> or <c>used</c>, which are amounts (R22: an agent sees no rates or amounts); they are null for it.
    /// </summary>
    public static object? View(BudgetStatus? status, Caller caller)
    {
        if (status is null)
        {
            return null;
        }

        var hidden = caller.IsAgent && status.Budget.Kind == "money";
        return new
        {
            kind = status.Budget.Kind,
            limit = hidden ? (decimal?)null : status.Budget.Limit,
            warn_percent = status.Budget.WarnPercent,
            critical_percent = status.Budget.CriticalPercent,
            currency = status.Currency, // the client's: what a budget in money counts in (R20); not an amount
            used = hidden ? null : status.Used.ToString("0.00", CultureInfo.InvariantCulture),
            used_percent = status.UsedPercent,
            status = status.Status,
        };
    }

    private static async Task<Guid> VisibleProjectAsync(string id, HttpContext context, CatalogStore catalog)
    {
        var caller = context.Caller();
        var project = await catalog.GetProjectAsync(caller.OrgId, Validate.Id(id, "Project"), caller.ViewerScope(), context.RequestAborted);
        return project?.Id ?? throw Refusal.NotFound("Project");
    }
}
