namespace Hourdini.Grains.Common;

/// <summary>Grain keys lead with the org, so every activation and every row it loads is tenant-scoped.</summary>
public static class GrainKeys
{
    public static string For(Guid orgId, Guid id) => $"{orgId:N}/{id:N}";

    public static (Guid OrgId, Guid Id) Parse(string key)
    {
        var slash = key.IndexOf('/');
        return (Guid.ParseExact(key[..slash], "N"), Guid.ParseExact(key[(slash + 1)..], "N"));
    }
}
