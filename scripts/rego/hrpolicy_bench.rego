# HRDD-MKT-001 and HRDD-LOC-001 of the built-in pack (rules/mkt.yaml, rules/loc.yaml, rules/defs.yaml)
# written in Rego, for scripts/bench.py: it evaluates both through regopy next to hrpolicy's engine on
# the same manifests and checks that they report the same (rule, pointer, severity) before it compares
# their speed. Messages are left out: only what is found, where and how severe.
#
# input: one manifest as JSON (dates as YYYY-MM-DD text).
# data.today: the evaluation date; data.countries: code -> {tier, risk, max_age_days} as hrpolicy's
# country table derives them ("" for a code the table does not know); data.lists: the pack's lists.
package hrpolicy

import rego.v1

day := 86400000000000

today := time.parse_ns("2006-01-02", data.today)

facts(code) := f if {
	f := data.countries[code]
} else := data.countries[""]

date_ns(text) := time.parse_ns("2006-01-02", text)

# approved_in_date: approved and dated within the judged country's max age, up to today.
approved_in_date(a, max_age) if {
	a.status == "approved"
	d := date_ns(a.date)
	d <= today
	d >= today - (max_age * day)
}

# hria_for_item_country
hria_for(m, f) if {
	some a in input.assessments
	a.type == "hria"
	m.country in a.scope.markets
	approved_in_date(a, f.max_age_days)
}

launch_within(m, _) if m.status in data.lists.live_statuses

launch_within(m, _) if not m.launch_date

launch_within(m, days) if date_ns(m.launch_date) <= today + (days * day)

mkt_severity(m, f) := "critical" if {
	f.tier == "high"
	launch_within(m, 90)
} else := "high" if {
	launch_within(m, 180)
} else := "medium"

# HRDD-MKT-001: an active market without an approved, in-date HRIA. The rule's two cases (never
# assessed, renewal overdue) differ only in their message, so one Rego rule stands for both.
findings contains {"rule": "HRDD-MKT-001", "pointer": sprintf("/markets/%d", [i]), "severity": sev} if {
	some i, m in input.markets
	m.status in data.lists.active_statuses
	f := facts(m.country)
	not hria_for(m, f)
	sev := mkt_severity(m, f)
}

store_reviewed(s, f) if {
	some a in input.assessments
	a.type in {"hria", "data_storage_review"}
	s.id in a.scope.data_stores
	approved_in_date(a, f.max_age_days)
}

holds_any(s, categories) if {
	some c in s.data_categories
	c in categories
}

# HRDD-LOC-001: user data stored in a high-risk country without an approved, in-date storage review.
findings contains {"rule": "HRDD-LOC-001", "pointer": sprintf("/data_stores/%d", [i]), "severity": sev} if {
	some i, s in input.data_stores
	f := facts(s.country)
	f.risk == "high"
	holds_any(s, data.lists.user_data_categories)
	not store_reviewed(s, f)
	sev := loc_severity(s)
}

loc_severity(s) := "critical" if {
	holds_any(s, data.lists.most_sensitive_categories)
} else := "high"
