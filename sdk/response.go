package sdk

import ()

// VendorError is what a vendor's error-body parser found.
type VendorError struct {
	Code, Message, RequestID string
}
