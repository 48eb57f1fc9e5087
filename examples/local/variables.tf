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

variable "cors_allowed_origins" {
  description = "Origins of web pages allowed to use the API and the bucket (the browser example's tests serve one on loopback)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "api_consumers" {
  description = "Consumers given an API key on one usage plan (10,000 calls a day, 50 a second): every route then requires a key, which the local gateway checks as API Gateway does. Empty: no key."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "authorization_type" {
  description = "The module's authorization_type; COGNITO_USER_POOLS needs cognito_user_pool_arns (the local gateway reads the token's claims without verifying them)."
  type        = string
  default     = "AWS_IAM"
  nullable    = false
}

variable "cognito_user_pool_arns" {
  description = "User pools for authorization_type = COGNITO_USER_POOLS."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "api_resource_policy" {
  description = "The module's api_resource_policy (moto stores it; the local gateway does not evaluate it)."
  type        = string
  default     = null
}
