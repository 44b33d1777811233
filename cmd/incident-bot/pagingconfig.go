package main

import (
	"net/url"
	"strings"
)

// PagingConfig is how pages are sent and acknowledged. Where pages go
// (ACK_PAGE, ESCALATION_PAGE…) is part of the timer policy
// (timerconfig.go); routing keys are read when a page is sent.
type PagingConfig struct {
	// EventsURL is PagerDuty's Events API v2 endpoint
	// (PAGERDUTY_EVENTS_URL; another region's, or a test's).
	EventsURL string
	// WebhookSecrets verify PagerDuty's v3 webhooks
	// (PAGERDUTY_WEBHOOK_SECRET, comma-separated while one is rotated);
	// none: the webhook is refused.
	WebhookSecrets []string
	// WebhookToken is sent as a bearer token to webhook targets
	// (PAGE_WEBHOOK_TOKEN).
	WebhookToken string
}

const defaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

func (r *settings) paging(c *Config) {
	c.Paging.EventsURL = r.env("PAGERDUTY_EVENTS_URL", defaultPagerDutyURL)
	if u, err := url.Parse(c.Paging.EventsURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		r.bad(PartServe, "PAGERDUTY_EVENTS_URL must be an http(s) URL such as %s", defaultPagerDutyURL)
	}
	for _, s := range strings.Split(r.getenv("PAGERDUTY_WEBHOOK_SECRET"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.Paging.WebhookSecrets = append(c.Paging.WebhookSecrets, s)
		}
	}
	c.Paging.WebhookToken = strings.TrimSpace(r.getenv("PAGE_WEBHOOK_TOKEN"))
}
