using System.Collections.Immutable;

namespace Hourdini.Grains.Sessions;

/// <summary>
/// The beat timeline of a session as a pure value. Beats tile the session's life (R1): each starts
/// exactly where the previous one ended, the first at the session's start, and only the last may be open.
/// </summary>
public static class Timeline
{
    public static ImmutableList<Beat> Start(BeatKind kind, DateTimeOffset at) => [new Beat(kind, at, null)];

    /// <summary>
    /// Closes the open beat at <paramref name="at"/> and opens one of <paramref name="kind"/>.
    /// Switching to the kind already running changes nothing. A clock that stepped back is clamped,
    /// so beats never run backwards.
    /// </summary>
    public static ImmutableList<Beat> Switch(ImmutableList<Beat> beats, BeatKind kind, DateTimeOffset at)
    {
        var open = OpenBeat(beats);
        if (open.Kind == kind)
        {
            return beats;
        }

        var when = Max(at, open.StartedAt);
        return beats.SetItem(beats.Count - 1, open with { EndedAt = when }).Add(new Beat(kind, when, null));
    }

    /// <summary>Closes the open beat; the timeline is then final (R7).</summary>
    public static ImmutableList<Beat> Close(ImmutableList<Beat> beats, DateTimeOffset at)
    {
        var open = OpenBeat(beats);
        return beats.SetItem(beats.Count - 1, open with { EndedAt = Max(at, open.StartedAt) });
    }

    public static Beat OpenBeat(ImmutableList<Beat> beats) =>
        beats.Count > 0 && beats[^1].IsOpen
            ? beats[^1]
            : throw new InvalidOperationException("The timeline has no open beat.");

    /// <summary>Totals per kind; an open beat counts up to <paramref name="now"/>.</summary>
    public static BeatTotals Totals(IEnumerable<Beat> beats, DateTimeOffset now)
    {
        long active = 0, agent = 0, idle = 0;
        foreach (var beat in beats)
        {
            var ms = beat.MillisecondsUpTo(now);
            switch (beat.Kind)
            {
                case BeatKind.Active: active += ms; break;
                case BeatKind.Agent: agent += ms; break;
                default: idle += ms; break;
            }
        }

        return new BeatTotals(active, agent, idle);
    }

    /// <summary>
    /// The beats from <paramref name="from"/> on: those that ended by then dropped, one running across it cut there
    /// (e.g. today's share of a session that started yesterday).
    /// </summary>
    public static IEnumerable<Beat> Since(IEnumerable<Beat> beats, DateTimeOffset from) =>
        beats.Where(b => b.EndedAt is not { } end || end > from)
            .Select(b => b.StartedAt < from ? b with { StartedAt = from } : b);

    /// <summary>True when the beats tile [start, stop): contiguous, ordered, only the last open.</summary>
    public static bool Tiles(IReadOnlyList<Beat> beats, DateTimeOffset start, DateTimeOffset? stop)
    {
        if (beats.Count == 0 || beats[0].StartedAt != start)
        {
            return false;
        }

        for (var i = 0; i < beats.Count; i++)
        {
            var beat = beats[i];
            var last = i == beats.Count - 1;
            if (beat.EndedAt is { } end && end < beat.StartedAt)
            {
                return false;
            }

            if (!last && (beat.EndedAt is null || beats[i + 1].StartedAt != beat.EndedAt))
            {
                return false;
            }

            if (last && beat.EndedAt != stop)
            {
                return false;
            }
        }

        return true;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
