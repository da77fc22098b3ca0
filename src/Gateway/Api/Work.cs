using Hourdini.Gateway.Http;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Hourdini.Grains.Projects;
using Hourdini.Grains.Users;
using Hourdini.Silo.Storage.Catalog;
using Orleans.Storage;

namespace Hourdini.Gateway.Api;

/// <summary>What starting any piece of work (timer or session) shares: the caller's grain and the project.</summary>
public static class Work
{
    public static IUserGrain UserGrain(this IGrainFactory grains, Caller caller) =>
        grains.GetGrain<IUserGrain>(GrainKeys.For(caller.OrgId, caller.UserId));

    /// <summary>
    /// Makes a grain call, and makes it once more if it failed on stale state (a version check lost): the grain
    /// that failed dropped its activation, so the second call runs on what is committed now. A second loss answers 409
    /// <c>concurrent_change</c>.
    /// </summary>
    public static async Task<T> RetryIfStaleAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (InconsistentStateException)
        {
            return await call();
        }
    }

    /// <summary>The project named by exactly one of <c>project_id</c> (exact) or <c>project_name</c> (partial, case-insensitive).</summary>
    public static async Task<Project> ResolveProjectAsync(
        this CatalogStore catalog, Caller caller, string? projectId, string? projectName, CancellationToken ct)
    {
        if ((projectId is null) == (projectName is null))
        {
            throw Refusal.Invalid("Give exactly one of project_id and project_name.");
        }

        return await catalog.ResolveForWorkAsync(
            caller.OrgId,
            projectId is null ? null : Validate.Id(projectId, "Project"),
            projectName is null ? null : Validate.Text(projectName, "project_name", 200),
            ct);
    }

    public static string Description(string? value) => Validate.OptionalText(value, "description", 2000) ?? "";
}
