package tencent_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
)

func ExampleClient_StatusMany() {
	// A stand-in for CIAM that reports two jobs, one completed with a failed user.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"Response":{"JobSet":[
			{"Id":"a","Status":"PROCESSING","Type":"IMPORT_USER"},
			{"Id":"b","Status":"COMPLETED","Type":"IMPORT_USER","FailedUsers":[{"FailedUserIdentification":"u9","FailedReason":"bad phone"}]}],
			"RequestId":"r1"}}`)
	}))
	defer srv.Close()

	c, err := tencent.New(tencent.Config{SecretID: "AKID", SecretKey: "key", Region: "ap-guangzhou", UserStoreID: "store"},
		sdk.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	jobs, err := c.StatusMany(context.Background(), []string{"a", "b"})
	if err != nil {
		panic(err)
	}
	ids := make([]string, 0, len(jobs))
	for id := range jobs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Println(id, jobs[id].State, jobs[id].Failures)
	}
	// Output:
	// a running []
	// b partially_succeeded [{u9 IMPORT_USER  bad phone}]
}
