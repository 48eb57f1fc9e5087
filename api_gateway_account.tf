################################################################################
# Regional API Gateway account settings (a singleton): opt-in only
################################################################################

locals {
  # IAM role names stop at 64 characters (IAM quotas); a 40-character name in the longest region
  # name (us-isof-south-1, 15) would make the long form 73. Names that fit keep the long form,
  # so deployments that have it keep their role; the others get the short one (at most 62).
  api_gateway_cloudwatch_role_name = (
    length("${var.name}-apigw-cloudwatch-${local.region}") <= 64
    ? "${var.name}-apigw-cloudwatch-${local.region}"
    : "${var.name}-apigw-${local.region}"
  )
}

data "aws_iam_policy_document" "api_gateway_cloudwatch_trust" {
  count = var.manage_api_gateway_account ? 1 : 0

  statement {
    sid     = "ApiGatewayAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_gateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  name                 = local.api_gateway_cloudwatch_role_name # IAM names are global; the setting is regional
  description          = "Lets API Gateway write execution and access logs to CloudWatch in ${local.region}."
  assume_role_policy   = data.aws_iam_policy_document.api_gateway_cloudwatch_trust[0].json
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  # The role is the module's alone: a destroy also removes policies it does not know of, such
  # as one an interrupted apply created but could not record (IAM refuses to delete a role
  # that still has policies).
  force_detach_policies = true

  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  role       = aws_iam_role.api_gateway_cloudwatch[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch[0].arn

  depends_on = [aws_iam_role_policy_attachment.api_gateway_cloudwatch]
}
