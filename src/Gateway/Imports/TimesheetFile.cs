using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CsvHelper;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Grains.Projects;
using Hourdini.Silo.Storage.Imports;

namespace Hourdini.Gateway.Imports;

/// <summary>What a file holds: its data rows counted, the good ones read and the bad ones by line.</summary>
public sealed record TimesheetRows(int Rows, IReadOnlyList<ImportRow> Good, IReadOnlyList<ImportFailure> Failed);

/// <summary>
/// R30: reads the detailed CSV export of Toggl Track, Clockify or Harvest (the header names those tools write, in any
/// order, matched case-insensitively; other columns ignored; comma or semicolon separated). Days are <c>YYYY-MM-DD</c>,
/// <c>MM/DD/YYYY</c> (a slash means the month first, as those tools write it in US format) or <c>DD.MM.YYYY</c>; times
/// 24-hour or with AM/PM, with or without seconds; durations <c>H:MM:SS</c>, <c>H:MM</c> or decimal hours. Wall-clock
/// times are in <c>tz</c>. A row's end is its end date and time when the file has them, else its start plus its duration.
/// Harvest has no clock times: a day's entries start at 09:00 one after another, in file order.
/// </summary>
public static partial class TimesheetFile
{
    public const int MaxRows = 10_000;

    public static readonly IReadOnlyList<string> Sources = ["toggl", "clockify", "harvest"];

    private enum Field { Client, Project, Description, Billable, StartDate, StartTime, EndDate, EndTime, Duration, Tags, Rate, Currency }

    private static readonly Dictionary<string, Dictionary<Field, string[]>> Headers = new()
    {
        ["toggl"] = new()
        {
            [Field.Client] = ["Client"],
            [Field.Project] = ["Project"],
            [Field.Description] = ["Description"],
            [Field.Billable] = ["Billable"],
            [Field.StartDate] = ["Start date"],
            [Field.StartTime] = ["Start time"],
            [Field.EndDate] = ["End date"],
            [Field.EndTime] = ["End time"],
            [Field.Duration] = ["Duration"],
            [Field.Tags] = ["Tags"],
        },
        ["clockify"] = new()
        {
            [Field.Client] = ["Client"],
            [Field.Project] = ["Project"],
            [Field.Description] = ["Description"],
            [Field.Billable] = ["Billable"],
            [Field.StartDate] = ["Start Date"],
            [Field.StartTime] = ["Start Time"],
            [Field.EndDate] = ["End Date"],
            [Field.EndTime] = ["End Time"],
            [Field.Duration] = ["Duration (h)", "Duration (decimal)"],
            [Field.Tags] = ["Tags"],
        },
        ["harvest"] = new()
        {
            [Field.Client] = ["Client"],
            [Field.Project] = ["Project"],
            [Field.Description] = ["Notes"],
            [Field.Billable] = ["Billable?"],
            [Field.StartDate] = ["Date"],
            [Field.Duration] = ["Hours"],
            [Field.Rate] = ["Billable Rate"],
            [Field.Currency] = ["Currency"],
        },
    };

    private static readonly string[] DayFormats = ["yyyy-MM-dd", "M/d/yyyy", "d.M.yyyy", "yyyy/M/d"];

    private static readonly string[] TimeFormats = ["H:mm:ss", "H:mm", "h:mm:ss tt", "h:mm tt", "h:mm:sstt", "h:mmtt", "H:mm:ss.FFFFFFF"];

    private static readonly TimeSpan MaxSpan = TimeSpan.FromDays(7);

    private static readonly TimeOnly HarvestDayStart = new(9, 0);

    public static TimesheetRows Read(string text, string source, TimeZoneInfo zone, DateTimeOffset now)
    {
        using var csv = CsvReader.FromText(text, new CsvReaderOptions
        {
            TrimWhitespace = true,
            TrackLineNumbers = true,
            SkipEmptyLines = true,
            DetectSeparatorHint = true,
        });
        string[] header;
        try
        {
            csv.ReadHeader();
            header = csv.Headers.ToArray();
        }
        catch (CsvFormatException bad)
        {
            throw Refusal.Invalid($"The file's header cannot be read as CSV: {bad.Message}", "import_header");
        }

        if (header.Length == 0 || header.All(string.IsNullOrWhiteSpace))
        {
            throw Refusal.Invalid("The file is empty; it should start with the export's header line.", "import_header");
        }

        var columns = Columns(header, source);
        var headerCurrency = HeaderCurrency(header);
        var good = new List<ImportRow>();
        var failed = new List<ImportFailure>();
        var occurrences = new Dictionary<string, int>(StringComparer.Ordinal);
        var harvestDays = new Dictionary<DateOnly, TimeSpan>();
        var rows = 0;
        while (Next(csv))
        {
            var line = (int)csv.LineNumber;
            var record = new string[csv.FieldCount];
            for (var i = 0; i < record.Length; i++)
            {
                record[i] = csv.GetString(i) ?? "";
            }

            if (record.All(string.IsNullOrWhiteSpace))
            {
                continue;
            }

            if (++rows > MaxRows)
            {
                throw Refusal.Invalid($"A file may hold at most {MaxRows:N0} rows; split it by period.", "import_too_large");
            }

            string Get(Field field) => columns.TryGetValue(field, out var index) && index < record.Length ? record[index].Trim() : "";
            try
            {
                good.Add(Row(line, source, Get, headerCurrency, zone, now, occurrences, harvestDays));
            }
            catch (RowException bad)
            {
                failed.Add(new ImportFailure(line, bad.Code, bad.Message));
            }
        }

        return new TimesheetRows(rows, good, failed);
    }

    private static bool Next(CsvReader csv)
    {
        try
        {
            return csv.Read();
        }
        catch (CsvFormatException bad)
        {
            throw Refusal.Invalid($"The file cannot be read as CSV near line {bad.LineNumber}: {bad.Message}", "import_malformed");
        }
    }

    private static ImportRow Row(
        int line, string source, Func<Field, string> get, string? headerCurrency, TimeZoneInfo zone, DateTimeOffset now,
        Dictionary<string, int> occurrences, Dictionary<DateOnly, TimeSpan> harvestDays)
    {
        var client = Name(get(Field.Client), "client", "No client");
        var project = Name(get(Field.Project), "project", "No project");
        var description = Text(get(Field.Description), "description", 2000);
        var billable = Billable(get(Field.Billable));
        var tags = Tags(get(Field.Tags));
        var day = Day(get(Field.StartDate), "start date");
        DateTimeOffset start, end;
        string when;
        if (source == "harvest")
        {
            var hours = Duration(get(Field.Duration));
            var placed = harvestDays.GetValueOrDefault(day);
            start = Instant(day, HarvestDayStart, zone).Add(placed);
            end = start + hours;
            harvestDays[day] = placed + hours;
            when = $"{day:yyyy-MM-dd}|{(long)hours.TotalSeconds}";
        }
        else
        {
            start = Instant(day, Time(get(Field.StartTime), "start time"), zone);
            var endTime = get(Field.EndTime);
            if (endTime.Length > 0)
            {
                var endDay = get(Field.EndDate) is { Length: > 0 } endDate ? Day(endDate, "end date") : day;
                end = Instant(endDay, Time(endTime, "end time"), zone);

                // Only an end time, earlier than the start: the work ran past midnight.
                if (get(Field.EndDate).Length == 0 && end <= start)
                {
                    end = Instant(day.AddDays(1), Time(endTime, "end time"), zone);
                }
            }
            else if (get(Field.Duration) is { Length: > 0 } duration)
            {
                end = start + Duration(duration);
            }
            else
            {
                throw new RowException("missing_end", "The row has neither an end time nor a duration.");
            }

            when = $"{start:O}|{end:O}";
        }

        // R24, as for a manual entry.
        if (end <= start)
        {
            throw new RowException("invalid_span", "The entry must end after it starts.");
        }

        if (end - start > MaxSpan)
        {
            throw new RowException("invalid_span", "An entry can span at most 7 days.");
        }

        if (start < Validate.Earliest || end > now.AddDays(1))
        {
            throw new RowException("out_of_range", "An entry must lie between the year 2000 and tomorrow.");
        }

        var (rate, currency) = Money(get, headerCurrency);
        var key = string.Join('\n', source == "harvest" ? "day" : "timed", client.ToLowerInvariant(), project.ToLowerInvariant(), description,
            billable, string.Join(',', tags), when);
        var seen = occurrences.GetValueOrDefault(key);
        occurrences[key] = seen + 1;
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"hd-import-v1\n{key}\n{seen}")));
        return new ImportRow(line, client, project, description, billable, start, end, tags, rate, currency, fingerprint);
    }

    /// <summary>The file's header: each field's column, the required ones present (else the whole file is refused).</summary>
    private static Dictionary<Field, int> Columns(string[] header, string source)
    {
        var names = header.Select(h => h.Trim().TrimStart('\uFEFF')).ToArray();
        var columns = new Dictionary<Field, int>();
        foreach (var (field, aliases) in Headers[source])
        {
            var index = Array.FindIndex(names, n => aliases.Any(a => string.Equals(n, a, StringComparison.OrdinalIgnoreCase)));
            if (index >= 0)
            {
                columns[field] = index;
            }
        }

        // Clockify names the currency in its rate's header ("Billable Rate (USD)"), Toggl in its amount's ("Amount (USD)").
        for (var i = 0; i < names.Length; i++)
        {
            if (source == "clockify" && CurrencyHeader().Match(names[i]) is { Success: true } match
                && match.Groups["what"].Value.Equals("Billable Rate", StringComparison.OrdinalIgnoreCase))
            {
                columns[Field.Rate] = i;
            }
        }

        var required = new List<string>();
        void Need(Field field)
        {
            if (!columns.ContainsKey(field))
            {
                required.Add(Headers[source][field][0]);
            }
        }

        Need(Field.Project);
        Need(Field.StartDate);
        Need(Field.Duration);
        if (source != "harvest")
        {
            Need(Field.StartTime);
        }

        return required.Count == 0
            ? columns
            : throw Refusal.Invalid(
                $"This is not a {source} detailed export: the header lacks {string.Join(", ", required.Select(r => $"\"{r}\""))}. Found: {Shorten(string.Join(", ", names))}.",
                "import_header");
    }

    /// <summary>The rate and currency the file names for a row, if any (a rate of 0 or none: the project's rate applies).</summary>
    private static (decimal? Rate, string? Currency) Money(Func<Field, string> get, string? headerCurrency)
    {
        var currency = headerCurrency;
        if (get(Field.Currency) is { Length: > 0 } text)
        {
            // Harvest writes "United States Dollar - USD" (or just "USD").
            var code = text.Length >= 3 ? text[^3..].ToUpperInvariant() : text;
            currency = Currencies.IsKnown(code) ? code : throw new RowException("bad_currency", $"\"{Shorten(text)}\" does not end in an ISO 4217 code.");
        }

        decimal? rate = null;
        if (get(Field.Rate) is { Length: > 0 } rateText)
        {
            if (!decimal.TryParse(rateText.Replace(",", "", StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
                || value is < 0 or > 1_000_000_000)
            {
                throw new RowException("bad_rate", $"\"{Shorten(rateText)}\" is not a rate.");
            }

            rate = value == 0 ? null : Math.Round(value, 2, MidpointRounding.ToEven);
        }

        return (rate, currency);
    }

    /// <summary>The one currency the header names, as Clockify's "Billable Rate (EUR)" and Toggl's "Amount (EUR)" do.</summary>
    private static string? HeaderCurrency(string[] header)
    {
        var codes = header.Select(h => CurrencyHeader().Match(h.Trim()))
            .Where(m => m.Success && Currencies.IsKnown(m.Groups["code"].Value.ToUpperInvariant()))
            .Select(m => m.Groups["code"].Value.ToUpperInvariant()).Distinct().ToList();
        return codes.Count == 1 ? codes[0] : null;
    }

    private static string Name(string value, string field, string none)
    {
        var name = Text(value, field, 200);
        return name.Length == 0 ? none : name;
    }

    private static string Text(string value, string field, int max)
    {
        try
        {
            return Validate.OptionalText(value, field, max) ?? "";
        }
        catch (Refusal refusal)
        {
            throw new RowException("bad_text", refusal.Message);
        }
    }

    private static bool Billable(string value) => value.ToLowerInvariant() switch
    {
        "" or "yes" or "true" or "1" or "y" or "billable" => true,
        "no" or "false" or "0" or "n" or "non-billable" => false,
        _ => throw new RowException("bad_billable", $"Billable must be Yes or No, not \"{Shorten(value)}\"."),
    };

    private static IReadOnlyList<string> Tags(string value)
    {
        var tags = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (tags.Count > 20 || tags.Any(t => t.Length > 50))
        {
            throw new RowException("bad_tags", "At most 20 tags of at most 50 characters each.");
        }

        return tags.Select(t => Text(t, "tags", 50)).ToList();
    }

    private static DateOnly Day(string value, string field) =>
        DateOnly.TryParseExact(value, DayFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new RowException("bad_date", $"The {field} \"{Shorten(value)}\" is not YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY.");

    private static TimeOnly Time(string value, string field)
    {
        var text = value.ToUpperInvariant().Replace(".", "", StringComparison.Ordinal) is var t && (t.EndsWith("AM", StringComparison.Ordinal) || t.EndsWith("PM", StringComparison.Ordinal))
            ? t
            : value;
        return TimeOnly.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw new RowException("bad_time", $"The {field} \"{Shorten(value)}\" is not a time such as 13:30:00 or 1:30 PM.");
    }

    /// <summary>H:MM:SS, H:MM or decimal hours (a decimal comma too).</summary>
    private static TimeSpan Duration(string value)
    {
        if (ClockDuration().Match(value) is { Success: true } clock)
        {
            var seconds = (long.Parse(clock.Groups["h"].Value, CultureInfo.InvariantCulture) * 3600)
                + (long.Parse(clock.Groups["m"].Value, CultureInfo.InvariantCulture) * 60)
                + (clock.Groups["s"].Success ? long.Parse(clock.Groups["s"].Value, CultureInfo.InvariantCulture) : 0);
            return TimeSpan.FromSeconds(seconds);
        }

        if (DecimalHours().IsMatch(value)
            && decimal.TryParse(value.Replace(',', '.'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var hours) && hours <= 1000)
        {
            return TimeSpan.FromSeconds((long)Math.Round(hours * 3600, MidpointRounding.AwayFromZero));
        }

        throw new RowException("bad_duration", $"The duration \"{Shorten(value)}\" is not H:MM:SS or decimal hours.");
    }

    /// <summary>A wall-clock time in the zone; one a clock change skips does not exist, one it repeats is its first.</summary>
    private static DateTimeOffset Instant(DateOnly day, TimeOnly time, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(time);
        if (zone.IsInvalidTime(local))
        {
            throw new RowException("bad_time", $"{local:yyyy-MM-dd HH:mm} does not exist in {zone.Id} (the clocks skip it).");
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";

    [GeneratedRegex(@"^(?<h>\d{1,4}):(?<m>[0-5]\d)(:(?<s>[0-5]\d))?$")]
    private static partial Regex ClockDuration();

    [GeneratedRegex(@"^\d{1,4}([.,]\d{1,6})?$")]
    private static partial Regex DecimalHours();

    [GeneratedRegex(@"^(?<what>.+?)\s*\((?<code>[A-Za-z]{3})\)$")]
    private static partial Regex CurrencyHeader();

    private sealed class RowException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }
}
