namespace Hourdini.Grains.Common;

/// <summary>The grain storage providers grains name in <c>[PersistentState]</c>.</summary>
public static class StorageNames
{
    /// <summary>
    /// Relational rows with integer versions as ETags, written through group commit (src/Silo/Storage/Tracking): the
    /// user and session grains, whose rows SQL constrains and lists read.
    /// </summary>
    public const string Tracking = "tracking";

    /// <summary>Orleans' ADO.NET provider on the same database, for grain state that is a private document no SQL reads.</summary>
    public const string Documents = "documents";
}
