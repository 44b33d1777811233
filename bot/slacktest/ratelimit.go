package slacktest

import "time"

// Slack's rate-limit tiers ("Rate limits" in Slack's API documentation) as calls per minute:
// Tier 1 is 1+ per minute, Tier 2 20+, Tier 3 50+, Tier 4 100+. The fake allows the base number.
var tierPerMinute = map[int]float64{1: 1, 2: 20, 3: 50, 4: 100}

// methodTiers are the tiers Slack's method reference gives the implemented methods; any method
// missing here is Tier 3. auth.test is "special" in Slack and treated as Tier 4; chat.postMessage
// is special too and limited per channel instead (postMessagePerSecond).
var methodTiers = map[string]int{
	"auth.test": 4, "apps.connections.open": 1,
	"chat.postEphemeral": 4, "chat.update": 3, "chat.delete": 3, "chat.getPermalink": 4,
	"conversations.create": 2, "conversations.info": 3, "conversations.setTopic": 2,
	"conversations.setPurpose": 2, "conversations.invite": 3, "conversations.join": 3,
	"conversations.members": 4, "conversations.history": 3, "conversations.replies": 3,
	"conversations.list": 2,
	"views.open":         4, "views.push": 4, "views.update": 4,
	"users.info": 4, "usergroups.users.list": 2,
	"files.getUploadURLExternal": 4, "files.completeUploadExternal": 4, "files.info": 4, "files.delete": 3,
	"bookmarks.add": 2, "bookmarks.edit": 2, "bookmarks.list": 3, "bookmarks.remove": 2,
	"pins.list": 2, "reactions.get": 3,
	"conversations.canvases.create": 2, "canvases.edit": 3,
}

// chat.postMessage: "1 message per second per channel", with short bursts allowed.
const (
	postMessagePerSecond = 1
	postMessageBurst     = 3
)

// bucket is a token bucket: it holds up to capacity calls and refills at rate calls a second.
type bucket struct {
	tokens   float64
	last     time.Time
	capacity float64
	rate     float64
}

func newBucket(capacity, perSecond float64, now time.Time) *bucket {
	return &bucket{tokens: capacity, last: now, capacity: capacity, rate: perSecond}
}

// take spends a token if there is one; otherwise it reports how long until there is, and spends
// nothing, so a refused call does not push the next success further away.
func (b *bucket) take(now time.Time) (time.Duration, bool) {
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(b.capacity, b.tokens+elapsed*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second)), false
}

// limiter holds the buckets of the enforced rate limits; guarded by Server.mu.
type limiter struct {
	methods  map[string]*bucket
	channels map[string]*bucket // chat.postMessage, by channel
}

func newLimiter() limiter {
	return limiter{methods: map[string]*bucket{}, channels: map[string]*bucket{}}
}

// limitLocked applies Slack's rate limits to a call when Options.RateLimits is on: nil lets it
// through, otherwise the 429 to answer. Buckets run on wall time, since clients really wait.
func (s *Server) limitLocked(name string, req *request) *apiError {
	if !s.opts.RateLimits {
		return nil
	}
	now := time.Now()
	var b *bucket
	if name == "chat.postMessage" {
		key := req.args.Get("channel")
		if c := s.store.findChannel(key); c != nil {
			key = c.id // a name and an ID are the same channel
		}
		if b = s.limits.channels[key]; b == nil {
			b = newBucket(postMessageBurst, postMessagePerSecond, now)
			s.limits.channels[key] = b
		}
	} else {
		if b = s.limits.methods[name]; b == nil {
			tier, ok := methodTiers[name]
			if !ok {
				tier = 3
			}
			perMinute := tierPerMinute[tier]
			b = newBucket(perMinute, perMinute/60, now)
			s.limits.methods[name] = b
		}
	}
	if wait, ok := b.take(now); !ok {
		return rateLimited(wait)
	}
	return nil
}

// RateLimitedCount counts the calls to method ("*" for every method) answered with HTTP 429 since
// the start or the last ResetCalls: by the enforced rate limits, Inject or RateLimitNext.
func (s *Server) RateLimitedCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls.calls {
		if c.Status == 429 && (method == "*" || c.Method == method) {
			n++
		}
	}
	return n
}
