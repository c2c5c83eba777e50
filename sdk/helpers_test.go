package sdk

// finish fills a test job's derived fields as the vendor packages do (sdk/internal/vendorkit.Finish):
// Done from State, a zero pending count for a done job of known total, and non-nil Failures.
func (j *Job) finish() *Job {
	j.Done = j.State.Done()
	if j.Done && j.Counts.Pending == nil && j.Counts.Total != nil {
		j.Counts.Pending = intp(0)
	}
	if j.Failures == nil {
		j.Failures = []Failure{}
	}
	return j
}

// intp returns a pointer to n, for building Counts.
func intp(n int) *int { return &n }
