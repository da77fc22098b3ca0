#!/usr/bin/env python3
"""Writes the import samples (R30): a Toggl Track, a Clockify and a Harvest detailed export of Sep-Nov 2026 with a few
hundred rows each, non-ASCII names, both date styles, 12-hour times and a few bad rows, and prints what a test should
expect of each (rows, good rows, bad lines, total seconds). Deterministic: run it again and the files are the same."""
import csv, random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
from pathlib import Path

here = Path(__file__).parent
CLIENTS = {
    "Café Ñandú": ["Menü & Website", "Social media, Q4"],
    "Zoë Müller Design": ["Brand guide", "Straße 7 signage"],
    "Acme GmbH": ["Mobile app", "API \"v2\" migration"],
    "": ["Internal"],  # no client
}
PEOPLE = [("Zoë", "Müller", "zoe@example.com")]
DESCRIPTIONS = ["Kick-off call", "Wireframes, round 2", "Fixing the \"checkout\" bug", "Code review", "Café menu typesetting",
                "Écrire la documentation", "日本語の翻訳チェック", "Invoice prep", "", "Pairing with the agent on tests"]
TAGS = ["", "design", "dev", "design, client-call", "dev, review"]


def days():
    d = date(2026, 9, 1)
    while d <= date(2026, 11, 30):
        if d.weekday() < 5:
            yield d
        d += timedelta(days=1)


def plan(seed):
    rng = random.Random(seed)
    rows = []
    for d in days():
        t = datetime(d.year, d.month, d.day, 8, 0) + timedelta(minutes=rng.randrange(0, 90, 5))
        for _ in range(rng.randint(3, 6)):
            client = rng.choice(list(CLIENTS))
            project = rng.choice(CLIENTS[client])
            minutes = rng.choice([15, 25, 30, 45, 50, 60, 75, 90, 120, 150])
            seconds = rng.choice([0, 0, 0, 17, 42])
            end = t + timedelta(minutes=minutes, seconds=seconds)
            rows.append(dict(client=client, project=project, description=rng.choice(DESCRIPTIONS), billable=rng.random() > 0.15,
                             start=t, end=end, tags=rng.choice(TAGS)))
            t = end + timedelta(minutes=rng.choice([0, 5, 10, 30]))
    # One that runs past midnight.
    rows.append(dict(client="Acme GmbH", project="Mobile app", description="Release night", billable=True,
                     start=datetime(2026, 11, 20, 23, 15), end=datetime(2026, 11, 21, 1, 5), tags="dev"))
    return rows


def hms(seconds):
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def twelve(t):
    return t.strftime("%I:%M:%S %p")


def seconds_in(zone, start, end):
    z = ZoneInfo(zone)
    return int((end.replace(tzinfo=z) - start.replace(tzinfo=z)).total_seconds())


def toggl():
    rows = plan(1)
    out, bad, total = [], [], 0
    header = ["User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start date", "Start time", "End date",
              "End time", "Duration", "Tags", "Amount (EUR)"]
    for i, r in enumerate(rows):
        secs = int((r["end"] - r["start"]).total_seconds())
        out.append(["Zoë Müller", "zoe@example.com", r["client"], r["project"], "", r["description"], "Yes" if r["billable"] else "No",
                    r["start"].strftime("%Y-%m-%d"), r["start"].strftime("%H:%M:%S"), r["end"].strftime("%Y-%m-%d"),
                    r["end"].strftime("%H:%M:%S"), hms(secs), r["tags"], f"{secs / 3600 * 95:.2f}" if r["billable"] else "0.00"])
        total += seconds_in("Europe/Berlin", r["start"], r["end"])
        if i == 40:
            out.append(["Zoë Müller", "zoe@example.com", "Acme GmbH", "Mobile app", "", "Impossible day", "Yes", "2026-02-30", "10:00:00",
                        "2026-02-30", "11:00:00", "01:00:00", "", "95.00"])
            bad.append((len(out) + 1, "bad_date"))
        if i == 120:
            out.append(["Zoë Müller", "zoe@example.com", "Café Ñandú", "Menü & Website", "", "Backwards", "Yes", "2026-11-03", "15:00:00",
                        "2026-11-03", "14:00:00", "01:00:00", "", "95.00"])
            bad.append((len(out) + 1, "invalid_span"))
    return header, out, bad, total, len(rows)


def clockify():
    rows = plan(2)
    out, bad, total = [], [], 0
    header = ["Project", "Client", "Description", "Task", "User", "Group", "Email", "Tags", "Billable", "Start Date", "Start Time",
              "End Date", "End Time", "Duration (h)", "Duration (decimal)", "Billable Rate (USD)", "Billable Amount (USD)"]
    for i, r in enumerate(rows):
        secs = int((r["end"] - r["start"]).total_seconds())
        out.append([r["project"], r["client"], r["description"], "", "Zoë Müller", "", "zoe@example.com", r["tags"],
                    "Yes" if r["billable"] else "No", r["start"].strftime("%m/%d/%Y"), twelve(r["start"]), r["end"].strftime("%m/%d/%Y"),
                    twelve(r["end"]), hms(secs), f"{secs / 3600:.2f}", "80.00", f"{secs / 3600 * 80:.2f}"])
        total += seconds_in("America/New_York", r["start"], r["end"])
        if i == 10:
            out.append(["Mobile app", "Acme GmbH", "Clock from the future", "", "Zoë Müller", "", "zoe@example.com", "", "Yes", "10/12/2026",
                        "13:75 PM", "10/12/2026", "02:00:00 PM", "01:00:00", "1.00", "80.00", "80.00"])
            bad.append((len(out) + 1, "bad_time"))
        if i == 200:
            out.append(["Mobile app", "Acme GmbH", "Too late", "", "Zoë Müller", "", "zoe@example.com", "", "Yes", "01/05/2031",
                        "09:00:00 AM", "01/05/2031", "10:00:00 AM", "01:00:00", "1.00", "80.00", "80.00"])
            bad.append((len(out) + 1, "out_of_range"))
    return header, out, bad, total, len(rows)


def harvest():
    rows = plan(3)
    out, bad, total = [], [], 0
    header = ["Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Hours Rounded", "Billable?", "Invoiced?",
              "Approved?", "First Name", "Last Name", "Roles", "Employee?", "Billable Rate", "Billable Amount", "Cost Rate",
              "Cost Amount", "Currency", "External Reference URL"]
    for i, r in enumerate(rows):
        minutes = round((r["end"] - r["start"]).total_seconds() / 60 / 3) * 3  # Harvest keeps hundredths of an hour
        minutes = max(minutes, 3)
        hours = f"{minutes / 60:.2f}"
        client = r["client"] or "Internal work"
        # Every other day in the US style, as Harvest writes it with that account setting.
        day = r["start"].strftime("%Y-%m-%d") if r["start"].day % 2 else r["start"].strftime("%m/%d/%Y")
        out.append([day, client, r["project"], "", "Design", r["description"], hours, hours, "Yes" if r["billable"] else "No",
                    "No", "Yes", "Zoë", "Müller", "", "Yes", "110.00", f"{float(hours) * 110:.2f}", "0", "0", "Euro - EUR", ""])
        total += round(float(hours) * 3600)
        if i == 5:
            out.append(["2026-10-02", "Acme GmbH", "Mobile app", "", "Design", "Unreadable", "lots", "", "Yes", "No", "Yes", "Zoë",
                        "Müller", "", "Yes", "110.00", "", "0", "0", "Euro - EUR", ""])
            bad.append((len(out) + 1, "bad_duration"))
        if i == 77:
            out.append(["2026-10-30", "Acme GmbH", "Mobile app", "", "Design", "A very long week", "200.00", "200.00", "Yes", "No", "Yes",
                        "Zoë", "Müller", "", "Yes", "110.00", "22000.00", "0", "0", "Euro - EUR", ""])
            bad.append((len(out) + 1, "invalid_span"))
    return header, out, bad, total, len(rows)


for name, make in [("toggl", toggl), ("clockify", clockify), ("harvest", harvest)]:
    header, out, bad, total, good = make()
    with open(here / f"{name}.csv", "w", newline="", encoding="utf-8-sig" if name == "toggl" else "utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n" if name != "harvest" else "\n")
        w.writerow(header)
        w.writerows(out)
    print(f"{name}: rows={len(out)} good={good} bad={bad} seconds={total}")
