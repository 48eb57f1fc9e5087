# Realistic defaults for the mocked AWS provider: ARNs that look like ARNs, policy JSON that parses.

mock_data "aws_partition" {
  defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
}
mock_data "aws_region" {
  defaults = { id = "eu-west-1", name = "eu-west-1" }
}
mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:user/ci", user_id = "AIDAEXAMPLE" }
}
mock_data "aws_iam_policy_document" {
  defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
}
mock_resource "aws_s3_bucket" {
  defaults = { id = "signed-import-20261125120000000000000001", arn = "arn:aws:s3:::signed-import-20261125120000000000000001" }
}
mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/signed-import-signer" }
}
mock_resource "aws_cloudwatch_log_group" {
  defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/signed-import/v1/access" }
}
mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:signed-import"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:signed-import/invocations"
    # What Lambda answers once publish = true has published the first version.
    version              = "1"
    qualified_arn        = "arn:aws:lambda:eu-west-1:123456789012:function:signed-import:1"
    qualified_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:signed-import:1/invocations"
  }
}
mock_resource "aws_lambda_alias" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:signed-import:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:signed-import:live/invocations"
  }
}
mock_resource "aws_api_gateway_rest_api" {
  defaults = { id = "a1b2c3d4e5", root_resource_id = "r00tid", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5" }
}
mock_resource "aws_api_gateway_stage" {
  defaults = { invoke_url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1", arn = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/v1" }
}
mock_resource "aws_api_gateway_domain_name" {
  # A private domain name's ARN, with its id after the "+" (a regional one's has no account).
  defaults = {
    arn            = "arn:aws:apigateway:eu-west-1:123456789012:/domainnames/uploads.example.com+a1b2c3d4e5"
    domain_name_id = "a1b2c3d4e5"
  }
}
