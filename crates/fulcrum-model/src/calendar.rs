//! Dates for the calendar measures of `GET_TIME_VALUE` (year, month, day of the week, hour, ...).
//!
//! A run's times become dates through a [`CalendarDate`] for its start time and the length of
//! the model's time unit in days ([`time_unit_calendar`]). Vensim documents two calendars: models
//! in years, quarters or months count 360-day years of twelve 30-day months
//! ([`Calendar::Days360`]); models in weeks, days or shorter units count real days, leap years
//! included ([`Calendar::Gregorian`], the proleptic Gregorian calendar). A point in time is a
//! *day number*: days, with their fraction, since January 1 of year 0 (1 BC) of its calendar.

use std::fmt;

/// A date on the proleptic Gregorian calendar (year 0 is 1 BC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarDate {
    /// The year, 0 for 1 BC.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, from 1.
    pub day: u32,
}

/// How days are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calendar {
    /// Real days: months of 28 to 31 days, leap years every fourth year except centuries not
    /// divisible by 400.
    Gregorian,
    /// Vensim's calendar for models in years, quarters or months: twelve months of 30 days.
    Days360,
}

/// What `GET_TIME_VALUE` reads from a day number (Vensim's measures 1 to 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalendarField {
    /// 1: the year (year 0 is 1 BC).
    Year,
    /// 2: the quarter of the year, 1 to 4.
    Quarter,
    /// 3: the month of the year, 1 to 12.
    Month,
    /// 4: the day of the month, from 1.
    DayOfMonth,
    /// 5: the day of the week, 0 (Sunday) to 6; its day number is always a Gregorian one.
    DayOfWeek,
    /// 6: whole days since January 1 of year 0.
    Day,
    /// 7: the hour of the day, 0 to 23.
    Hour,
    /// 8: the minute of the hour, 0 to 59.
    Minute,
    /// 9: the second of the minute, 0 to just under 60, with its fraction.
    Second,
    /// 10: whole seconds since January 1 of year 0, modulo 500,000.
    ElapsedSeconds,
}

impl CalendarField {
    /// The field of Vensim's measure `measure` (1 to 10); `None` for measure 0 (time in the
    /// model's units, no calendar) and any other number.
    pub fn from_measure(measure: f64) -> Option<CalendarField> {
        const FIELDS: [CalendarField; 10] = [
            CalendarField::Year,
            CalendarField::Quarter,
            CalendarField::Month,
            CalendarField::DayOfMonth,
            CalendarField::DayOfWeek,
            CalendarField::Day,
            CalendarField::Hour,
            CalendarField::Minute,
            CalendarField::Second,
            CalendarField::ElapsedSeconds,
        ];
        if measure.fract() != 0.0 || !(1.0..=10.0).contains(&measure) {
            return None;
        }
        FIELDS.get(measure as usize - 1).copied()
    }
}

/// Days from January 1 of year 0 to January 1, 1970, on the Gregorian calendar.
const DAYS_TO_1970: i64 = 719_528;

/// Whether `year` has a February 29.
pub fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// The number of days of a month on the Gregorian calendar (0 for a month outside 1 to 12).
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl CalendarDate {
    /// The date, if `month` and `day` are those of a real date.
    pub fn new(year: i32, month: u32, day: u32) -> Option<CalendarDate> {
        (day >= 1 && day <= days_in_month(i64::from(year), month)).then_some(CalendarDate { year, month, day })
    }

    /// Reads `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<CalendarDate> {
        let mut parts = text.trim().splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        CalendarDate::new(year, month, day)
    }

    /// Days from January 1 of year 0 to this date on `calendar`. On the 360-day calendar a day
    /// past the 30th of its month counts as the 30th.
    pub fn day_number(self, calendar: Calendar) -> i64 {
        let (year, month, day) = (i64::from(self.year), i64::from(self.month), i64::from(self.day));
        match calendar {
            Calendar::Gregorian => gregorian_day_number(year, month, day),
            Calendar::Days360 => year * 360 + (month - 1) * 30 + day.min(30) - 1,
        }
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days from January 1 of year 0 to a Gregorian date (March-based eras of 400 years).
fn gregorian_day_number(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468 + DAYS_TO_1970
}

/// The Gregorian date of a whole day number: year, month, day.
fn gregorian_date(day_number: i64) -> (i64, i64, i64) {
    let days = day_number - DAYS_TO_1970 + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day numbers beyond this (about 27 billion years) give NaN rather than overflow.
const LARGEST_DAY_NUMBER: f64 = 1e13;

/// Field `field` of the point `day_number` (days since January 1 of year 0, with their
/// fraction) on `calendar`. A point within a millisecond of a whole second is taken as that
/// second, so that an hour computed as 0.99999999 of itself is still the next hour. NaN for a
/// point that is not finite or is beyond any calendar.
pub fn field(calendar: Calendar, field: CalendarField, day_number: f64) -> f64 {
    if !day_number.is_finite() || day_number.abs() > LARGEST_DAY_NUMBER {
        return f64::NAN;
    }
    let mut seconds = day_number * 86_400.0;
    if (seconds - seconds.round()).abs() < 1e-3 {
        seconds = seconds.round();
    }
    let whole_days = (seconds / 86_400.0).floor();
    let second_of_day = seconds - whole_days * 86_400.0;
    let whole_days = whole_days as i64;
    let (year, month, day) = match calendar {
        Calendar::Gregorian => gregorian_date(whole_days),
        Calendar::Days360 => {
            let day_of_year = whole_days.rem_euclid(360);
            (whole_days.div_euclid(360), day_of_year / 30 + 1, day_of_year % 30 + 1)
        }
    };
    match field {
        CalendarField::Year => year as f64,
        CalendarField::Quarter => ((month - 1) / 3 + 1) as f64,
        CalendarField::Month => month as f64,
        CalendarField::DayOfMonth => day as f64,
        // January 1 of year 0 was a Saturday.
        CalendarField::DayOfWeek => (whole_days + 6).rem_euclid(7) as f64,
        CalendarField::Day => whole_days as f64,
        CalendarField::Hour => (second_of_day / 3600.0).floor(),
        CalendarField::Minute => (second_of_day / 60.0).floor() % 60.0,
        CalendarField::Second => second_of_day - 60.0 * (second_of_day / 60.0).floor(),
        CalendarField::ElapsedSeconds => seconds.floor().rem_euclid(500_000.0),
    }
}

/// The calendar of a model whose time unit is `unit`, and the unit's length in days: Vensim
/// counts 360-day years for models in years, quarters and months, real days for weeks, days,
/// hours, minutes and seconds. `None` for any other unit. Letter case and a plural `s` do not
/// matter.
pub fn time_unit_calendar(unit: &str) -> Option<(Calendar, f64)> {
    let unit = unit.trim().to_ascii_lowercase();
    let singular = unit.strip_suffix('s').filter(|rest| rest.len() > 1).unwrap_or(&unit);
    Some(match singular {
        "year" | "yr" | "annum" => (Calendar::Days360, 360.0),
        "quarter" | "qtr" => (Calendar::Days360, 90.0),
        "month" | "mo" | "mon" => (Calendar::Days360, 30.0),
        "week" | "wk" => (Calendar::Gregorian, 7.0),
        "day" => (Calendar::Gregorian, 1.0),
        "hour" | "hr" => (Calendar::Gregorian, 1.0 / 24.0),
        "minute" | "min" => (Calendar::Gregorian, 1.0 / 1440.0),
        "second" | "sec" => (Calendar::Gregorian, 1.0 / 86_400.0),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gregorian(year: i32, month: u32, day: u32) -> f64 {
        CalendarDate::new(year, month, day).map_or(f64::NAN, |date| date.day_number(Calendar::Gregorian) as f64)
    }

    #[test]
    fn day_numbers_count_from_january_first_of_year_zero() {
        assert_eq!(gregorian(0, 1, 1), 0.0);
        // Year 0 is a leap year: 366 days.
        assert_eq!(gregorian(1, 1, 1), 366.0);
        // 2000 years of 365 days and 485 leap days (500 fourth years, less 20 centuries, plus 5).
        assert_eq!(gregorian(2000, 1, 1), 730_485.0);
        assert_eq!(gregorian(1970, 1, 1), 719_528.0);
        assert_eq!(CalendarDate::new(2000, 1, 1).map(|d| d.day_number(Calendar::Days360)), Some(720_000));
    }

    #[test]
    fn dates_come_back_from_their_day_numbers() {
        for (year, month, day) in [(2000, 2, 29), (1900, 2, 28), (1900, 3, 1), (2024, 12, 31), (-1, 12, 31), (1, 1, 1)]
        {
            let number = gregorian(year, month, day);
            assert_eq!(
                field(Calendar::Gregorian, CalendarField::Year, number),
                f64::from(year),
                "{year}-{month}-{day}"
            );
            assert_eq!(field(Calendar::Gregorian, CalendarField::Month, number), f64::from(month));
            assert_eq!(field(Calendar::Gregorian, CalendarField::DayOfMonth, number), f64::from(day));
        }
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(is_leap_year(2000) && is_leap_year(2024) && is_leap_year(0));
        assert!(!is_leap_year(1900) && !is_leap_year(2023) && !is_leap_year(2100));
        assert!(CalendarDate::new(2023, 2, 29).is_none() && CalendarDate::new(2024, 2, 29).is_some());
        // The day after February 28 is the 29th in 2024 and March 1 in 2023.
        let after = |year| gregorian(year, 2, 28) + 1.0;
        assert_eq!(field(Calendar::Gregorian, CalendarField::DayOfMonth, after(2024)), 29.0);
        assert_eq!(field(Calendar::Gregorian, CalendarField::Month, after(2023)), 3.0);
    }

    #[test]
    fn days_of_the_week_of_known_dates() {
        // 2000-01-01 was a Saturday, 1969-07-20 a Sunday, 2024-02-29 a Thursday.
        assert_eq!(field(Calendar::Gregorian, CalendarField::DayOfWeek, gregorian(2000, 1, 1)), 6.0);
        assert_eq!(field(Calendar::Gregorian, CalendarField::DayOfWeek, gregorian(1969, 7, 20)), 0.0);
        assert_eq!(field(Calendar::Gregorian, CalendarField::DayOfWeek, gregorian(2024, 2, 29)), 4.0);
    }

    #[test]
    fn the_360_day_calendar_has_thirty_day_months() {
        let start = 2000.0 * 360.0;
        assert_eq!(field(Calendar::Days360, CalendarField::Month, start + 29.0), 1.0);
        assert_eq!(field(Calendar::Days360, CalendarField::Month, start + 30.0), 2.0);
        assert_eq!(field(Calendar::Days360, CalendarField::DayOfMonth, start + 59.0), 30.0);
        assert_eq!(field(Calendar::Days360, CalendarField::Quarter, start + 90.0), 2.0);
        assert_eq!(field(Calendar::Days360, CalendarField::Year, start + 359.5), 2000.0);
        assert_eq!(field(Calendar::Days360, CalendarField::Year, start + 360.0), 2001.0);
    }

    #[test]
    fn hours_minutes_and_seconds_of_a_day() {
        let noon = gregorian(2024, 2, 29) + 0.5;
        assert_eq!(field(Calendar::Gregorian, CalendarField::Hour, noon), 12.0);
        // 13:45:30.5 is (13 * 3600 + 45 * 60 + 30.5) / 86400 of a day.
        let later = gregorian(2024, 2, 29) + (13.0 * 3600.0 + 45.0 * 60.0 + 30.5) / 86_400.0;
        assert_eq!(field(Calendar::Gregorian, CalendarField::Hour, later), 13.0);
        assert_eq!(field(Calendar::Gregorian, CalendarField::Minute, later), 45.0);
        assert!((field(Calendar::Gregorian, CalendarField::Second, later) - 30.5).abs() < 1e-4);
        // An hour summed from 1/24 of a day in steps lands on the hour, not just below it.
        let summed = (0..7).fold(gregorian(2024, 1, 1), |day, _| day + 1.0 / 24.0);
        assert_eq!(field(Calendar::Gregorian, CalendarField::Hour, summed), 7.0);
        assert_eq!(field(Calendar::Gregorian, CalendarField::Day, noon), gregorian(2024, 2, 29));
    }

    #[test]
    fn elapsed_seconds_wrap_at_half_a_million() {
        assert_eq!(field(Calendar::Gregorian, CalendarField::ElapsedSeconds, 5.0), 432_000.0);
        assert_eq!(field(Calendar::Gregorian, CalendarField::ElapsedSeconds, 6.0), 18_400.0);
        assert!(field(Calendar::Gregorian, CalendarField::Year, f64::NAN).is_nan());
        assert!(field(Calendar::Gregorian, CalendarField::Year, 1e300).is_nan());
    }

    #[test]
    fn time_units_give_a_calendar_and_a_length() {
        assert_eq!(time_unit_calendar("Month"), Some((Calendar::Days360, 30.0)));
        assert_eq!(time_unit_calendar(" years "), Some((Calendar::Days360, 360.0)));
        assert_eq!(time_unit_calendar("Day"), Some((Calendar::Gregorian, 1.0)));
        assert_eq!(time_unit_calendar("Weeks"), Some((Calendar::Gregorian, 7.0)));
        assert_eq!(time_unit_calendar("fortnight"), None);
        assert_eq!(CalendarField::from_measure(5.0), Some(CalendarField::DayOfWeek));
        assert_eq!(CalendarField::from_measure(0.0), None);
        assert_eq!(CalendarField::from_measure(2.5), None);
        assert_eq!(CalendarDate::parse("2000-01-01"), CalendarDate::new(2000, 1, 1));
        assert_eq!(CalendarDate::parse("2000-13-01"), None);
    }
}
