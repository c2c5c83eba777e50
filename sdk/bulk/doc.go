// Package bulk is the engine of `jobwatch run`: it takes a list of users from a file to done at one
// vendor, with only the users that failed for a transient reason resubmitted.
//
// A run is: read the input (NDJSON or CSV, see ReadInput); check every line offline (Preflight: the
// vendor's documented request rules through Vendor.CheckUser, the spec's schema through a Schema hook
// the caller wires, duplicates within the file); cut the valid lines into chunks of at most the vendor's
// users per job (Chunks); keep the vendor's jobs in flight at its limit, starting the next chunk as soon
// as a poll sees one finish; classify each failed user as retryable or permanent (Vendor.Classify,
// overridden by Options.RetryCodes) and resubmit the retryable ones in new chunks, round after round,
// up to Options.MaxRounds; and write the report (report.jsonl, failed.ndjson or failed.csv, and
// summary.json) in the report directory.
//
// Planning is pure: Chunks, Preflight and State.Apply do no I/O, so that a workflow engine can drive
// them. The I/O sits at the edges: Run talks to the Vendor and appends to the journal, WriteReport and
// Notifier.Send write the results.
//
// # Vendors
//
// Vendors plug in through the Vendor interface (and Lister, for those with a list call). Each vendor
// package has an adapter in its bulk.go: huawei.NewBulk, webex.NewBulk, tencent.NewBulk and
// oracle.NewBulk. The limits, keys and failure classes below live there; this package knows no vendor.
//
// Limits (users per job, jobs in flight per account, request rate):
//
//	vendor   users/job  jobs in flight  requests         source
//	huawei   100        4 (ours)        sdk limiter      createTask reference: federationUserList ≤ 100; no published job cap
//	webex    100        4 (ours)        429 Retry-After  Move Users reference: ≤ 100 users per job; no published job cap
//	tencent  1000 (ours) 2              20/s             CreateApiImportUserJob: FailedOperation.DataFlowTooManyRequests,
//	                                                     "There are already two valid tasks"; ListJobs: 20 requests/s
//	oracle   1000 (ours) 1              sdk limiter      Primavera Cloud user jobs: one create job at a time per tenant
//
// "ours" marks a conservative default where the vendor publishes no number. The request rate is the
// vendor client's: Tencent's paces itself at 20/s, the others at the limiter given with
// sdk.ClientOptions.RateLimiter (none by default) and back off on 429 as the vendor asks; a submit refused for
// rate is a refusal like too many jobs (the chunk waits and is submitted again).
//
// User keys, by which failures are matched back to input lines:
//
//	huawei   userAccount
//	webex    userId (the person id)
//	tencent  the identification fields: UserName, Email, PhoneNumber (and the other identifiers), any of which
//	         FailedUsers[].FailedUserIdentification may name
//	oracle   loginId
//
// A failure that names no user of its job is kept in the summary (unmatched_failures), never dropped;
// and since it may be one of the job's users under another spelling, the job's users not known to have
// failed are then reported unknown, unless the job's own count of successes agrees with the rest.
//
// # Failure classes
//
// Unknown codes are permanent by default; Options.RetryCodes makes the codes it lists retryable.
//
//	vendor   code                                        class      source
//	huawei   60101900002 internal system error           retryable  queryTask failCode table (Table 4)
//	huawei   60101000100..60101000105, 60101000109       retryable  Table 4: failures to obtain details or map, transient lookups
//	huawei   60101000108 user already exists             permanent  Table 4
//	huawei   60101040050, 60101020076, 60101020085,      permanent  Table 4: invalid parameter, account length or characters,
//	         60101030013, 60101060003, 60101060007                  role missing, mapping failed, user missing
//	webex    429, 500, 502, 503, 504 (error key or code) retryable  Webex common response-code table
//	webex    any other code (e.g. 400, 404, 409, 1026)   permanent  Webex common response-code table (client errors)
//	tencent  InternalError, InternalError.UnknownError,  retryable  CIAM 2022-03-31 common and action error codes
//	         RequestLimitExceeded(.*), ResourceUnavailable,
//	         FailedOperation.DataFlowTooManyRequests
//	tencent  any other code (InvalidParameter..., FailedOperation.ImportUserIsEmpty, ...) permanent
//	oracle   500: "Underlying Identity Management System failed" retryable  status reference: 500 response
//	oracle   any other statusInfo (e.g. "User created, but Application Access failed") permanent
//
// Tencent's FailedUsers carry a reason but no code: a reason that begins with a documented error code
// (e.g. "InternalError: ...") is classified by that code, any other reason is permanent.
//
// # Journal
//
// The run journals its progress in DIR/journal.log: an append-only log of JSON records, each framed by
// its length and CRC-32 and fsynced, written before each submit (the intent, with the chunk's lines)
// and after it (the job id, or the refusal). A torn last record is ignored and cut off. Running the same
// command again replays the journal and resumes: no user is submitted twice in one round and none is
// skipped. A submit whose answer was lost (the process died, a timeout, a reset connection, a 5xx) is
// never resent blindly: where the vendor has a list call (Lister: Webex's list of move-users jobs,
// Tencent's ListJobs without ids) the job is looked for by its creation time and size; found, it is
// polled as if the answer had come; not listed twice, a pause apart (the request may still be at the
// vendor), the chunk was not started and is submitted; without a list call its users are reported
// unknown, with the reason.
package bulk
