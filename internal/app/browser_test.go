package app_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/tabular"
)

// chromium finds the browser or skips (fails under CI).
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("NONGFU_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found under CI: the browser tests must run (apt-get install chromium)")
	}
	t.Skip("browser tests skipped: install Debian's chromium or set NONGFU_CHROMIUM")
	return ""
}

func newBrowser(t *testing.T, width, height int) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	// a whole-session bound against a hung browser; each run() step has its own, shorter one
	ctx, cancelC := context.WithTimeout(ctx, 15*time.Minute)
	// start the browser on the session's context: the first run allocates it, and a step's shorter-lived context
	// would take the browser with it when it ends
	if err := chromedp.Do(ctx); err != nil {
		cancelC()
		cancelB()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	return ctx, func() { cancelC(); cancelB(); cancelA() }
}

// shot saves a screenshot when NONGFU_SCREENSHOTS names a directory (for people looking at the screens).
func shot(name string) chromedp.Action[chromedp.Void] {
	dir := os.Getenv("NONGFU_SCREENSHOTS")
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if dir == "" {
			return nil
		}
		shoot := chromedp.FullScreenshot(100)
		if strings.Contains(name, "phone") {
			shoot = chromedp.CaptureScreenshot() // the phone's viewport: what a user sees first
		}
		buf, err := chromedp.Run(ctx, shoot)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

// into runs an action that yields a value and stores the value.
func into[T any](a chromedp.Action[T], dst *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		v, err := chromedp.Run(ctx, a)
		*dst = v
		return err
	})
}

// stepTimeout bounds one run() call: generous, because CI machines are shared and slow, but a missing element fails
// the test in minutes rather than hanging it.
const stepTimeout = 90 * time.Second

// run runs named steps and, on failure, says which step and what the page showed.
func run(t *testing.T, ctx context.Context, name string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		text, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.location.href + "\n" + document.body.innerText.slice(0, 600)`))
		t.Fatalf("%s: %v\npage: %s", name, err, text)
	}
}

func login(base, user string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, user),
		chromedp.SendKeys(`#password`, demo.DemoPassword),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`.stats`),
	)
}

func TestBrowserRegisterFlow(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 200)
	ctx, cancel := newBrowser(t, 1280, 900)
	defer cancel()
	town := s.Regions.Townships()[3]
	village := s.Regions.Children(town.Code)[1]
	good := idNumber(4242)
	bad := good[:17] + map[bool]string{true: "1", false: "0"}[good[17] == '0']
	var fieldErr, body, resultText string
	run(t, ctx, "login and register form with a bad ID",
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(`#username`),
		shot("01-login"),
		login(s.URL, "county_admin"),
		shot("02-home"),
		chromedp.Navigate(s.URL+"/subjects"),
		chromedp.WaitVisible(`#results table`),
		shot("03-subjects"),
		// create with a bad ID number: the field error shows, nothing is saved
		chromedp.Navigate(s.URL+"/subjects/new"),
		chromedp.WaitVisible(`#kind`),
		chromedp.SetValue(`#kind`, "household"),
		chromedp.SendKeys(`#name`, "浏览器测试户"),
		chromedp.SendKeys(`#id_number`, bad),
		chromedp.SendKeys(`#phone`, "13912345678"),
		chromedp.SetValue(`#township`, town.Code),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[any](fmt.Sprintf(`document.getElementById('village').innerHTML = '<option value="%s">%s</option>'`, village.Code, village.Name)))
			return err
		}),
		chromedp.SetValue(`#village`, village.Code),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`.field.has-error .field-error`),
		into(chromedp.Text(`.field.has-error .field-error`), &fieldErr),
		shot("04-form-error"),
	)
	if !strings.Contains(fieldErr, "校验位") {
		t.Fatalf("field error %q", fieldErr)
	}
	// fix it and save: the form came back filled in, so only the ID number changes
	run(t, ctx, "fix and save",
		chromedp.SetValue(`#id_number`, good),
		// the village list is reloaded by htmx when the form comes back; pin the village again so a late reload
		// cannot leave it empty on a slow machine
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[any](fmt.Sprintf(`document.getElementById('village').innerHTML = '<option value="%s">%s</option>'`, village.Code, village.Name)))
			return err
		}),
		chromedp.SetValue(`#village`, village.Code),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`.flash`),
		into(chromedp.Text(`main`), &body),
		shot("05-detail"),
	)
	if !strings.Contains(body, "已登记：浏览器测试户") || !strings.Contains(body, village.Name) || strings.Contains(body, good) {
		t.Fatalf("detail page after save: %q", body[:min(len(body), 300)])
	}
	// search it by the last four ID characters
	run(t, ctx, "search",
		chromedp.Navigate(s.URL+"/subjects"),
		chromedp.WaitVisible(`#q`),
		chromedp.SendKeys(`#q`, "浏览器测试"),
		chromedp.WaitVisible(`//nav[contains(@class, "pager")]/span[contains(., "共 1 条")]`),
		into(chromedp.Text(`#results`), &body),
	)
	if !strings.Contains(body, "共 1 条") {
		t.Fatalf("search results: %q", body)
	}
	// import a file with one bad row and download the error report
	dir := t.TempDir()
	file := filepath.Join(dir, "导入.xlsx")
	f, _ := os.Create(file)
	tabular.WriteXLSX(f, tabular.Sheet{Header: []string{"主体类型", "名称", "身份证号", "乡镇", "村社区", "主导产业"}, Rows: [][]string{
		{"农户", "导入甲", idNumber(5001), town.Name, village.Name, "脆李"},
		{"农户", "导入乙", bad, town.Name, village.Name, "脆李"},
		{"农户", "导入丙", idNumber(5003), town.Name, village.Name, "柑橘"},
	}})
	f.Close()
	downloads := filepath.Join(dir, "dl")
	os.MkdirAll(downloads, 0o755)
	run(t, ctx, "import",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
			return err
		}),
		chromedp.Navigate(s.URL+"/import/subjects"),
		chromedp.WaitVisible(`#file`),
		shot("06-import"),
		chromedp.SetUploadFiles(`#file`, []string{file}),
		chromedp.Click(`#start-import`),
		chromedp.WaitVisible(`#job-result`),
		into(chromedp.Text(`#job-result`), &resultText),
		shot("07-import-result"),
		chromedp.Click(`#error-report`),
	)
	if !strings.Contains(resultText, "新增 2 条") || !strings.Contains(resultText, "有误 1 条") || !strings.Contains(resultText, "第 3 行") {
		t.Fatalf("import result %q", resultText)
	}
	var got string
	for i := 0; i < 100 && got == ""; i++ {
		time.Sleep(100 * time.Millisecond)
		entries, _ := os.ReadDir(downloads)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".xlsx") {
				got = filepath.Join(downloads, e.Name())
			}
		}
	}
	if got == "" {
		t.Fatal("error report not downloaded")
	}
	rf, err := os.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	header, rows, err := tabular.ReadAll(rf, got)
	if err != nil || len(rows) != 1 || rows[0].Cells[1] != "导入乙" || !strings.Contains(strings.Join(header, ","), "错误说明") {
		t.Fatalf("error report: %v %v %v", header, rows, err)
	}
}

// TestBrowserPhone: the register works on a phone-width screen (menu behind the toggle, no horizontal scroll).
func TestBrowserPhone(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 60)
	ctx, cancel := newBrowser(t, 390, 844)
	defer cancel()
	var overflow bool
	var menuHidden, menuShown bool
	run(t, ctx, "phone",
		login(s.URL, "township_operator"),
		shot("11-phone-home"),
		chromedp.Navigate(s.URL+"/subjects"),
		chromedp.WaitVisible(`#results`),
		into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`), &overflow),
		into(chromedp.Evaluate[bool](`document.getElementById('sidebar').getBoundingClientRect().right <= 0`), &menuHidden),
		shot("12-phone-subjects"),
		chromedp.Click(`.menu-toggle`),
		chromedp.Sleep(400*time.Millisecond),
		into(chromedp.Evaluate[bool](`document.getElementById('sidebar').getBoundingClientRect().right > 100`), &menuShown),
		shot("13-phone-menu"),
	)
	if overflow {
		t.Error("the subjects page scrolls sideways on a phone")
	}
	if !menuHidden || !menuShown {
		t.Errorf("phone menu: hidden=%v shown-after-toggle=%v", menuHidden, menuShown)
	}
}

// TestBrowserEveryMenuPage: for every role, every page its menu offers opens without an error, on a phone-width
// and a desktop screen, and does not scroll sideways.
func TestBrowserEveryMenuPage(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 60)
	for _, width := range []int{390, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) { everyMenuPage(t, s, width) })
	}
}

func everyMenuPage(t *testing.T, s *app.TestServer, width int) {
	ctx, cancel := newBrowser(t, width, 844)
	defer cancel()
	device := "phone"
	if width > 800 {
		device = "desk"
	}
	for _, acc := range demo.Accounts() {
		var links []string
		run(t, ctx, "menu of "+acc.Username,
			login(s.URL, acc.Username),
			shot(device+"-"+acc.Username+"_home"),
			into(chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#sidebar a.nav-item')).map(a => a.getAttribute('href'))`), &links),
		)
		if len(links) < 2 {
			t.Fatalf("%s has only %d menu items", acc.Username, len(links))
		}
		for _, l := range links {
			var title string
			var overflow bool
			run(t, ctx, acc.Username+" "+l,
				chromedp.Navigate(s.URL+l),
				chromedp.WaitReady(`main`),
				into(chromedp.Title(), &title),
				into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`), &overflow),
				shot(device+"-"+acc.Username+strings.ReplaceAll(l, "/", "_")),
			)
			if strings.HasPrefix(title, "出错了") {
				t.Errorf("%s: %s shows an error page", acc.Username, l)
			}
			if overflow {
				t.Errorf("%s: %s scrolls sideways at width %d", acc.Username, l, width)
			}
			// and the first record the page links to (detail pages)
			var detail string
			run(t, ctx, acc.Username+" first link of "+l,
				into(chromedp.Evaluate[string](`(document.querySelector('main table a[href^="/"]') || {getAttribute: () => ""}).getAttribute('href')`), &detail))
			if detail == "" || strings.Contains(detail, "export") {
				continue
			}
			run(t, ctx, acc.Username+" "+detail,
				chromedp.Navigate(s.URL+detail),
				chromedp.WaitReady(`main`),
				into(chromedp.Title(), &title),
				into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`), &overflow),
				shot(device+"-"+acc.Username+strings.ReplaceAll(strings.Split(detail, "?")[0], "/", "_")),
			)
			if strings.HasPrefix(title, "出错了") {
				t.Errorf("%s: %s (linked from %s) shows an error page", acc.Username, detail, l)
			}
			if overflow {
				t.Errorf("%s: %s scrolls sideways at width %d", acc.Username, detail, width)
			}
		}
		var ignored any
		run(t, ctx, "logout "+acc.Username, into(chromedp.Evaluate[any](`document.querySelector('form[action="/logout"]').submit()`), &ignored), chromedp.WaitVisible(`#username`))
	}
}
