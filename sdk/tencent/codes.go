package tencent

import (
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
)

// Error codes documented for ListJobs and CreateApiImportUserJob, with their meaning.
const (
	codeAuthFailure             = "AuthFailure"
	codeDryRunOperation         = "DryRunOperation"
	codeFailedOperation         = "FailedOperation"
	codeDataFlowTooManyRequests = "FailedOperation.DataFlowTooManyRequests"
	codeImportUserIsEmpty       = "FailedOperation.ImportUserIsEmpty"
	codeInvalidTenant           = "FailedOperation.InvalidTenant"
	codeInvalidUserStore        = "FailedOperation.InvalidUserStore"
	codeQuotaLimitExceeded      = "FailedOperation.QuotaLimitExceeded"
	codeInternalError           = "InternalError"
	codeUnknownError            = "InternalError.UnknownError"
	codeInvalidParameter        = "InvalidParameter"
	codeParameterIllegal        = "InvalidParameter.ParameterIllegal"
	codeInvalidParameterValue   = "InvalidParameterValue"
	codeLimitExceeded           = "LimitExceeded"
	codeMissingParameter        = "MissingParameter"
	codeOperationDenied         = "OperationDenied"
	codeRequestLimitExceeded    = "RequestLimitExceeded"
	codeFrequentRequest         = "RequestLimitExceeded.FrequentRequest"
	codeRepeatRequest           = "RequestLimitExceeded.RepeatRequest"
	codeResourceInUse           = "ResourceInUse"
	codeResourceInsufficient    = "ResourceInsufficient"
	codeResourceNotFound        = "ResourceNotFound"
	codeResourceUnavailable     = "ResourceUnavailable"
	codeResourcesSoldOut        = "ResourcesSoldOut"
	codeUnauthorizedOperation   = "UnauthorizedOperation"
	codeTenantNotActivated      = "UnauthorizedOperation.TenantNotActivated"
	codeUnknownParameter        = "UnknownParameter"
	codeUnsupportedOperation    = "UnsupportedOperation"
)

// codeMeanings gives the documented meaning of each error code.
var codeMeanings = map[string]string{
	codeAuthFailure:             "A CAM signature/authentication error occurred.",
	codeDryRunOperation:         "The request would have succeeded, but DryRun was set.",
	codeFailedOperation:         "The operation failed.",
	codeDataFlowTooManyRequests: "There are already two valid tasks; wait for one to complete.",
	codeImportUserIsEmpty:       "The user is empty during user import.",
	codeInvalidTenant:           "The tenant is invalid.",
	codeInvalidUserStore:        "The user pool is invalid.",
	codeQuotaLimitExceeded:      "The quota is exceeded.",
	codeInternalError:           "An internal error occurred.",
	codeUnknownError:            "An unknown error occurred.",
	codeInvalidParameter:        "The parameter is incorrect.",
	codeParameterIllegal:        "The request parameter is invalid.",
	codeInvalidParameterValue:   "The parameter value is incorrect.",
	codeLimitExceeded:           "The quota limit is exceeded.",
	codeMissingParameter:        "The parameter is missing.",
	codeOperationDenied:         "The operation was denied.",
	codeRequestLimitExceeded:    "The number of requests exceeds the frequency limit.",
	codeFrequentRequest:         "Too many requests; try again later.",
	codeRepeatRequest:           "Repeated request; try again later.",
	codeResourceInUse:           "The resource is in use.",
	codeResourceInsufficient:    "The resource is insufficient.",
	codeResourceNotFound:        "The resource does not exist.",
	codeResourceUnavailable:     "The resource is unavailable.",
	codeResourcesSoldOut:        "The resources have been sold out.",
	codeUnauthorizedOperation:   "The operation is unauthorized.",
	codeTenantNotActivated:      "The service is not activated.",
	codeUnknownParameter:        "The parameter is unknown.",
	codeUnsupportedOperation:    "The operation is not supported.",
}

// kindForCode returns the sdk sentinel a Tencent error code means, by its family (the part before
// the first dot), nil when none fits.
func kindForCode(code string) error {
	family, _, _ := strings.Cut(code, ".")
	switch family {
	case codeAuthFailure, codeUnauthorizedOperation:
		return sdk.ErrUnauthorized
	case codeRequestLimitExceeded:
		return sdk.ErrRateLimited
	case codeInvalidParameter, codeInvalidParameterValue, codeMissingParameter, codeUnknownParameter:
		return sdk.ErrInvalidInput
	case codeResourceNotFound:
		return sdk.ErrNotFound
	case codeInternalError:
		return sdk.ErrServerError
	}
	return nil
}
