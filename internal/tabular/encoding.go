package tabular

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is the window used for encoding and delimiter detection.
const sniffSize = 64 << 10

// newDecoder returns a reader producing UTF-8 from br, which must have a
// buffer of at least sniffSize bytes.
//
//   - A UTF-8 BOM is stripped; UTF-16 LE/BE with BOM (Excel's "Unicode
//     text") is decoded.
//   - Otherwise the encoding is decided lazily at the first non-ASCII byte:
//     ASCII is identical in UTF-8 and GB18030, so a GB18030 file that starts
//     with a long ASCII-only prefix is still detected correctly. The up to
//     64 KiB following that byte are examined; if they are valid UTF-8 (or
//     overwhelmingly so, tolerating a few corrupt bytes) the input is UTF-8,
//     else GB18030.
func newDecoder(br *bufio.Reader) io.Reader {
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		br.Discard(3)
		return br
	case bytes.HasPrefix(head, []byte("\xFF\xFE")):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case bytes.HasPrefix(head, []byte("\xFE\xFF")):
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	}
	return &sniffReader{br: br}
}

// sniffReader passes ASCII through until the first non-ASCII byte, then
// picks UTF-8 or GB18030 for the rest of the stream.
type sniffReader struct {
	br    *bufio.Reader
	ascii int // bytes known to be ASCII at the head of br
	dec   io.Reader
}

func (s *sniffReader) Read(p []byte) (int, error) {
	if s.dec != nil {
		return s.dec.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if s.ascii == 0 {
		b, err := s.br.Peek(sniffSize)
		i := 0
		for i < len(b) && b[i] < utf8.RuneSelf {
			i++
		}
		s.ascii = i
		if i == 0 {
			if len(b) == 0 {
				if err == nil || err == bufio.ErrBufferFull {
					err = io.ErrNoProgress
				}
				return 0, err
			}
			if isMostlyUTF8(b, err != nil) {
				s.dec = s.br
			} else {
				s.dec = transform.NewReader(s.br, simplifiedchinese.GB18030.NewDecoder())
			}
			return s.dec.Read(p)
		}
	}
	if len(p) > s.ascii {
		p = p[:s.ascii]
	}
	n, err := s.br.Read(p)
	s.ascii -= n
	return n, err
}

// isMostlyUTF8 reports whether b (a window of the input; atEOF if nothing
// follows it) should be treated as UTF-8: valid UTF-8, or at least eight
// times as many valid multi-byte sequences as invalid bytes.
func isMostlyUTF8(b []byte, atEOF bool) bool {
	if !atEOF {
		// Do not count a rune cut in half by the window end as invalid.
		for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	if utf8.Valid(b) {
		return true
	}
	valid, invalid := 0, 0
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			invalid++
		} else {
			valid++
		}
		b = b[size:]
	}
	return valid >= 8*invalid
}
