namespace Hourdini.Grains.Common;

public static class Clock
{
    /// <summary>
    /// The server's time, truncated to whole milliseconds (R10): what is kept in memory is exactly
    /// what PostgreSQL stores, so a reloaded session sums to the same totals.
    /// </summary>
    public static DateTimeOffset UtcNowMs(this TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }
}
