variable "endpoint" {
  description = "URL of the local AWS emulator, e.g. http://127.0.0.1:5000."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^https?://(127\\.0\\.0\\.1|localhost)(:[0-9]+)?$", var.endpoint))
    error_message = "endpoint must be a loopback URL such as http://127.0.0.1:5000: this example never talks to real AWS."
  }
}

variable "name" {
  description = "Base name of the module's resources."
  type        = string
  default     = "signed-import-local"
  nullable    = false
}

variable "create_bucket" {
  description = "Create the bucket (true) or use the existing `bucket_name` (false)."
  type        = bool
  default     = true
  nullable    = false
}

variable "bucket_name" {
  description = "Bucket name; required when create_bucket is false."
  type        = string
  default     = null
}
