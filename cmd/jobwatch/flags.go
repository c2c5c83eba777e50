package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// envBaseURLFmt names the variable each vendor's sdk reads its base URL from, upper case:
// JOBWATCH_ORACLE_BASE_URL, ...; `jobwatch simulate` prints it.
const envBaseURLFmt = "JOBWATCH_%s_BASE_URL"

var vendors = []string{"oracle", "huawei", "webex", "tencent"}

// opts holds every flag; each command registers the ones it takes.
type opts struct {
	vendor, baseURL, output       string
	userStore, region, org, api   string
	job, jobsFile, addr           string
	metricsAddr                   string
	color                         string // --color: auto, always or never
	wide                          bool   // --wide: job ids whole in tables
	live                          bool
	timeout, minDelay, maxDelay   time.Duration
	fs                            *flag.FlagSet
	vendorSet, delaySet, timedSet bool
	// name is the command's; help is where --help prints (stdout).
	name string
	help io.Writer
}

func newFlags(name string, e env) *opts {
	o := &opts{fs: flag.NewFlagSet("jobwatch "+name, flag.ContinueOnError), name: name, help: e.stdout}
	// The flag package would print an error and the whole usage on stderr, and run prints the error
	// again: parse reports it once, and --help prints to stdout.
	o.fs.SetOutput(io.Discard)
	o.fs.Usage = func() {}
	return o
}

// durationValue is a duration flag whose error says what is wrong: the flag package's says only
// "parse error", and a bare number ("--timeout 5") is the usual mistake.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil {
		return "0s"
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err == nil {
		*v.d = d
		return nil
	}
	if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
		return fmt.Errorf("a duration needs a unit: %ss, %sm or %sh", s, s, s)
	}
	return fmt.Errorf("not a duration (want e.g. 30s, 10m, 1h30m)")
}

func (o *opts) durationVar(p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	o.fs.Var(durationValue{p}, name, usage)
}

func (o *opts) vendorFlags() *opts {
	o.vendorSet = true
	o.fs.StringVar(&o.vendor, "vendor", "", "vendor: oracle, huawei, webex or tencent (required)")
	o.fs.StringVar(&o.baseURL, "base-url", "", "the vendor's base URL, overriding its host (Oracle needs one; or JOBWATCH_<VENDOR>_BASE_URL)")
	o.fs.StringVar(&o.userStore, "user-store", "", "Tencent: the user store id (or "+tencent.EnvUserStore+")")
	o.fs.StringVar(&o.region, "region", "", "Tencent: the region, e.g. ap-guangzhou (or "+tencent.EnvRegion+")")
	o.fs.StringVar(&o.org, "org", "", "Webex: the organization id (partner administrators)")
	o.fs.StringVar(&o.api, "api", "", "Oracle: v1 (Basic, default) or v3 (Bearer)")
	return o
}

func (o *opts) outputFlag() *opts {
	o.fs.StringVar(&o.output, "output", "table", "output: table or json (one object per job per line)")
	return o
}

// tableFlags adds --wide and --color, for the commands that print tables of jobs (and draw bars).
func (o *opts) tableFlags() *opts {
	o.fs.BoolVar(&o.wide, "wide", false, "show job ids whole in tables, however wide the terminal (JSON always has them whole)")
	o.fs.StringVar(&o.color, "color", "auto", "colour the states: auto (on a terminal, unless NO_COLOR is set), always or never")
	return o
}

// tableStyle is how this command's tables fit the terminal stdout is on: its width (the terminal's,
// else COLUMNS; none with --wide) and colour (see colour).
func (o *opts) tableStyle(e env) tableStyle {
	st := tableStyle{colour: o.colour(e, e.stdoutTerminal)}
	if o.wide {
		return st
	}
	st.width = e.width
	if st.width <= 0 {
		st.width, _ = strconv.Atoi(strings.TrimSpace(e.getenv("COLUMNS")))
	}
	st.width = max(st.width, 0)
	return st
}

// colour says whether to colour a stream that is a terminal or not: --color=always and never decide;
// auto colours a terminal unless NO_COLOR is set to anything (https://no-color.org).
func (o *opts) colour(e env, terminal bool) bool {
	switch o.color {
	case "always":
		return true
	case "never":
		return false
	}
	return o.color == "auto" && terminal && e.getenv("NO_COLOR") == ""
}

func (o *opts) timeoutFlag() *opts {
	o.timedSet = true
	zero := map[string]string{
		"status":   "bound the call: a `duration`, e.g. 30s; 0 means no bound but each request's own retries",
		"wait":     "bound the whole wait: a `duration`, e.g. 30m; 0 means the wait's own budget of 6h",
		"watch":    "bound the whole watch: a `duration`, e.g. 30m; 0 means each job's own wait budget of 6h",
		"simulate": "stop serving after this `duration`, e.g. 1h; 0 means serve until interrupted",
		"demo":     "bound the whole demo (a `duration`); 0 means 2m",
		"run":      "bound the whole run: a `duration`, e.g. 2h; 0 means no bound",
		"contract": "bound the checks: a `duration`, e.g. 1m; 0 means no bound but each request's own retries",
	}[o.name]
	if zero == "" {
		zero = "bound the whole command: a `duration`, e.g. 30m; 0 means no bound"
	}
	o.durationVar(&o.timeout, "timeout", 0, zero)
	return o
}

// metricsFlag adds --metrics-addr (watch, run).
func (o *opts) metricsFlag() *opts {
	o.fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on http://`HOST:PORT`/metrics (and /healthz), e.g. 127.0.0.1:9464")
	return o
}

// The delays --min-delay and --max-delay default to: sdk.WaitOptions' defaults, shown in --help.
const (
	defaultMinDelay = 2 * time.Second
	defaultMaxDelay = 80 * time.Second
)

func (o *opts) delayFlags() *opts {
	o.delaySet = true
	o.durationVar(&o.minDelay, "min-delay", defaultMinDelay, "first `duration` between polls")
	o.durationVar(&o.maxDelay, "max-delay", defaultMaxDelay, "longest `duration` between polls")
	return o
}

// parse reads args and checks what every command shares.
func (o *opts) parse(args []string) error {
	if err := o.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(o.help, o.helpText())
			return err
		}
		return &usageError{dashed(err)}
	}
	if o.fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags only)", o.fs.Arg(0))
	}
	if o.output != "" && o.output != "table" && o.output != "json" {
		return usagef("--output %q: want table or json", o.output)
	}
	if o.color != "" && o.color != "auto" && o.color != "always" && o.color != "never" {
		return usagef("--color %q: want auto, always or never", o.color)
	}
	if o.timedSet && o.timeout < 0 {
		return usagef("--timeout %s is negative", o.timeout)
	}
	if o.delaySet && (o.minDelay <= 0 || o.maxDelay < o.minDelay) {
		return usagef("--min-delay %s and --max-delay %s: want 0 < min ≤ max", o.minDelay, o.maxDelay)
	}
	if !o.vendorSet {
		return nil
	}
	switch {
	case o.vendor == "":
		return usagef("--vendor is required: one of %s", strings.Join(vendors, ", "))
	case !contains(vendors, o.vendor):
		return usagef("--vendor %q: want one of %s", o.vendor, strings.Join(vendors, ", "))
	case o.userStore != "" && o.vendor != "tencent", o.region != "" && o.vendor != "tencent":
		return usagef("--user-store and --region apply to tencent only")
	case o.org != "" && o.vendor != "webex":
		return usagef("--org applies to webex only")
	case o.api != "" && o.vendor != "oracle":
		return usagef("--api applies to oracle only")
	case o.api != "" && o.api != "v1" && o.api != "v3":
		return usagef("--api %q: want v1 or v3", o.api)
	}
	return nil
}

// dashed is err, an error of the flag package, with the flag named as users type it and as help shows
// it, --name: the package names it -name. Its other words are kept.
func dashed(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"flag provided but not defined: -", "flag needs an argument: -"} {
		if name, ok := strings.CutPrefix(msg, prefix); ok {
			return prefix + "-" + name
		}
	}
	if name, ok := strings.CutPrefix(msg, "invalid boolean flag "); ok {
		return "invalid boolean flag --" + name // "name: why"
	}
	if arg, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
		return fmt.Sprintf("bad flag syntax: %q (want --name or --name=value)", arg)
	}
	// invalid value "v" for flag -name: why, and invalid boolean value "v" for -name: why. The value is
	// quoted, so its end is known whatever it holds.
	for _, prefix := range []string{"invalid value ", "invalid boolean value "} {
		rest, ok := strings.CutPrefix(msg, prefix)
		if !ok {
			continue
		}
		value, err := strconv.QuotedPrefix(rest)
		if err != nil {
			break
		}
		for _, mid := range []string{" for flag -", " for -"} {
			if name, ok := strings.CutPrefix(rest[len(value):], mid); ok {
				return prefix + value + mid + "-" + name
			}
		}
	}
	return msg
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// context bounds the command by --timeout.
func (o *opts) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout > 0 {
		return context.WithTimeout(ctx, o.timeout)
	}
	return context.WithCancel(ctx)
}

// client builds the vendor's sdk client from the flags; what they leave empty the sdk reads from the
// environment (through e.getenv), the variables `jobwatch simulate` exports. A missing credential or
// setting is a usage error: the sdk's message names the variable, and flagHint adds the flag that
// sets it too.
// extra, when not nil, is the start of the client's options (the flags' and env's settings are added).
func (o *opts) client(e env, extra *sdk.ClientOptions) (sdk.Poller, error) {
	var so sdk.ClientOptions
	if extra != nil {
		so = *extra
	}
	if so.Getenv == nil {
		so.Getenv = e.getenv
	}
	if e.transport != nil && so.HTTPClient == nil {
		so.HTTPClient = &http.Client{Transport: e.transport}
	}
	if o.baseURL != "" {
		so.BaseURL = o.baseURL
	}
	var (
		p   sdk.Poller
		err error
	)
	switch o.vendor {
	case "oracle":
		p, err = oracle.New(oracle.Config{API: oracle.API(o.api)}, &so)
	case "huawei":
		p, err = huawei.New(huawei.Config{}, &so)
	case "webex":
		p, err = webex.New(webex.Config{OrgID: o.org}, &so)
	case "tencent":
		p, err = tencent.New(tencent.Config{Region: o.region, UserStoreID: o.userStore}, &so)
	}
	if err != nil {
		return nil, &usageError{err.Error() + flagHint(o.vendor, err)}
	}
	return p, nil
}

// flagHint is "; or pass --flag" when the sdk's error names a variable a flag also sets.
func flagHint(vendor string, err error) string {
	for env, flag := range map[string]string{
		fmt.Sprintf(envBaseURLFmt, strings.ToUpper(vendor)): "--base-url",
		tencent.EnvUserStore: "--user-store",
		tencent.EnvRegion:    "--region",
	} {
		if strings.Contains(err.Error(), env) {
			return "; or pass " + flag
		}
	}
	return ""
}

// usageLine is the command's synopsis, as its help shows it.
func usageLine(name string) string {
	switch name {
	case "status":
		return "jobwatch status --vendor V --job ID [flags]"
	case "wait":
		return "jobwatch wait --vendor V --job ID [flags]"
	case "watch":
		return "jobwatch watch --vendor V --jobs-file FILE [flags]\n       jobwatch watch --vendor V [flags] < FILE"
	case "run":
		return "jobwatch run --vendor V --users FILE --report DIR [--action add|modify|delete] [--location ID]\n" +
			"             [--max-rounds N] [--retry-codes C,...] [--notify URL] [--dry-run] [--timeout D]"
	case "simulate":
		return "jobwatch simulate [--addr 127.0.0.1:0] [--jobs N] [--dir DIR] [--job-duration D] [--timeout D]"
	case "demo":
		return "jobwatch demo [--output table|json] [--job-duration D]"
	case "contract":
		return "jobwatch contract --vendor V --har FILE [flags]\n       jobwatch contract --vendor V --live --job ID [flags]"
	}
	return "jobwatch " + name + " [flags]"
}

// credentialsHelp lists what each vendor reads from the environment.
const credentialsHelp = `credentials and settings (environment variables):
  oracle   JOBWATCH_ORACLE_USERNAME, JOBWATCH_ORACLE_PASSWORD (--api v1, Basic);
           JOBWATCH_ORACLE_TOKEN (--api v3, Bearer); JOBWATCH_ORACLE_BASE_URL (required: the host is per tenant)
  huawei   JOBWATCH_HUAWEI_APP_KEY, JOBWATCH_HUAWEI_APP_SECRET; JOBWATCH_HUAWEI_BASE_URL
  webex    WEBEX_ACCESS_TOKEN; JOBWATCH_WEBEX_BASE_URL
  tencent  TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, TENCENTCLOUD_REGION;
           JOBWATCH_TENCENT_USER_STORE; JOBWATCH_TENCENT_BASE_URL
  --base-url, --region and --user-store win over the environment. "jobwatch simulate" prints these
  lines for its fake vendors.
`

// outcomeHelp says what the states of a finished job mean where vendors differ.
const outcomeHelp = `outcomes: a job whose every user failed is failed (exit 4). Huawei's queryTask reports no number
of users, so for a Huawei job the total is unknown (null in JSON): a job with some failed users
is partially_succeeded (exit 3) even when all of them failed, unless the sdk learnt the job's
size when it submitted it.
`

const jobsFileHelp = `jobs file: one job id a line; blank lines and lines starting with # (comments) are skipped,
duplicates are dropped, a UTF-8 byte-order mark is ignored, and a line longer than 4096 bytes
is refused with its line number. Without --jobs-file the ids are read from stdin, which must
then be a pipe or a file, not a terminal. An input that does not end (a FIFO, a pipe left open)
ends with --timeout or Ctrl-C, with a line per id read, not watched.
`

// helpText is the command's --help: what it does, its usage, its flags, the credentials it reads and
// the exit codes.
func (o *opts) helpText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jobwatch %s: %s\n\nusage: %s\n\nflags:\n", o.name, commands()[o.name].summary, usageLine(o.name))
	o.fs.VisitAll(func(f *flag.Flag) { writeFlagHelp(&b, f) })
	b.WriteString("\n")
	if o.vendorSet {
		b.WriteString(credentialsHelp + "\n")
	}
	switch o.name {
	case "status", "wait", "watch":
		b.WriteString(outcomeHelp + "\n")
	}
	if o.name == "watch" {
		b.WriteString(jobsFileHelp + "\n")
	}
	if o.name == "run" {
		b.WriteString(runHelp + "\n")
	}
	b.WriteString(exitCodesFor(o.name))
	return b.String()
}

// writeFlagHelp prints one flag as users type it, --name with two dashes (the flag package's own
// PrintDefaults shows one), its argument's name, its meaning and its default.
func writeFlagHelp(b *strings.Builder, f *flag.Flag) {
	arg, usage := flag.UnquoteUsage(f)
	fmt.Fprintf(b, "  --%s", f.Name)
	if arg != "" {
		fmt.Fprintf(b, " %s", arg)
	}
	fmt.Fprintf(b, "\n    \t%s", strings.ReplaceAll(usage, "\n", "\n    \t"))
	switch {
	case f.DefValue == "" || f.DefValue == "0" || f.DefValue == "0s" || f.DefValue == "false":
	case arg == "string":
		fmt.Fprintf(b, " (default %q)", f.DefValue)
	default:
		fmt.Fprintf(b, " (default %s)", f.DefValue)
	}
	b.WriteString("\n")
}
