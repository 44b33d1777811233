package bot

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Slack channel names: lowercase letters, digits, hyphens and underscores,
// at most 80 characters.
const maxChannelName = 80

// MaxPrefixLen caps INCIDENT_CHANNEL_PREFIX so the title always has room.
const MaxPrefixLen = 20

// ChannelName builds "<prefix>-YYYYMMDD-<slug>" for an incident declared on
// day (already in the display time zone). attempt 1 is the plain name;
// attempt n>1 appends "-n" for retries after name_taken. The result is
// always a valid, non-empty Slack channel name.
func ChannelName(prefix string, day time.Time, title string, attempt int) string {
	p := Slug(prefix)
	if len(p) > MaxPrefixLen { // leave room for the title
		p = strings.TrimRight(p[:MaxPrefixLen], "-_")
	}
	if p == "" {
		p = "inc"
	}
	head := p + "-" + day.Format("20060102") + "-"
	suffix := ""
	if attempt > 1 {
		suffix = "-" + strconv.Itoa(attempt)
	}
	room := maxChannelName - len(head) - len(suffix)
	slug := Slug(title)
	if len(slug) > room {
		slug = strings.TrimRight(slug[:room], "-_")
	}
	if slug == "" {
		slug = "incident"
	}
	return head + slug + suffix
}

// Slug lowercases s and keeps only a–z, 0–9, '-' and '_'. Accented Latin
// letters lose their accents, Cyrillic and Greek are transliterated, other
// scripts are dropped; runs of anything else become one hyphen.
func Slug(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	dash := false
	emit := func(t string) {
		for i := 0; i < len(t); i++ {
			c := t[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
				b.WriteByte(c)
				dash = false
			case !dash && b.Len() > 0:
				b.WriteByte('-')
				dash = true
			}
		}
	}
	for _, r := range s {
		r = unicode.ToLower(r)
		switch {
		case r == '\'' || r == '’': // "can't" → "cant", not "can-t"
		case r < 0x80:
			emit(string(r))
		default:
			// The table first: NFKD would turn й into и + breve.
			if t, ok := translit[r]; ok {
				emit(t)
				continue
			}
			for _, d := range norm.NFKD.String(string(r)) {
				switch {
				case d < 0x80:
					emit(string(unicode.ToLower(d)))
				case unicode.Is(unicode.Mn, d): // accents split off by NFKD
				case translit[d] != "":
					emit(translit[d])
				case unicode.IsLetter(d) || unicode.IsNumber(d):
					// Unknown script: drop the letter without breaking the word.
				default:
					emit(" ")
				}
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// translit covers the letters NFKD does not decompose into ASCII: Latin
// ligatures and special letters, Cyrillic and Greek.
var translit = map[rune]string{
	'ß': "ss", 'æ': "ae", 'ø': "o", 'œ': "oe", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i", 'ŋ': "ng",
	// Cyrillic
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "",
	'э': "e", 'ю': "yu", 'я': "ya", 'є': "ye", 'і': "i", 'ї': "yi", 'ґ': "g",
	// Greek
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i", 'θ': "th", 'ι': "i", 'κ': "k",
	'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x", 'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t",
	'υ': "y", 'φ': "f", 'χ': "ch", 'ψ': "ps", 'ω': "o",
}
