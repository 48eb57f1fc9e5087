terraform {
  # 1.9: variable validations that refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Tested with 5.100.0. 5.96 added endpoint_configuration.ip_address_type (a private
      # API's dualstack; hashicorp/terraform-provider-aws#42146), the newest thing the module
      # uses (the default runtime python3.13 needs 5.78: #40107). 6.0.0-6.3.0 are
      # left out: Lambda updates with publish = true (SnapStart) fail there, fixed in 6.4.0
      # (#43395, #43416); 6.1.0 was withdrawn. 7.0 will remove what 6.x deprecates. README:
      # "Requirements" has the reasoning and what 6.x users must know.
      version = ">= 5.96, != 6.0.0, != 6.1.0, != 6.2.0, != 6.3.0, < 7.0"
    }
  }
}
