data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.id # `id` is the region name in provider v5 and v6
  account_id = data.aws_caller_identity.current.account_id

  # Known at plan time whenever bucket_name is given, so policies render before apply.
  bucket_name = var.bucket_name != null ? var.bucket_name : aws_s3_bucket.this[0].id
  bucket_arn  = "arn:${local.partition}:s3:::${local.bucket_name}"
  # Everything the signer may write lives under this ARN pattern and nowhere else.
  objects_arn = "${local.bucket_arn}/${var.key_prefix}*"

  signer_log_group_name = "/aws/lambda/${var.name}"
  signer_log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.signer_log_group_name}"

  import_path   = "/import"
  import_method = "POST"

  tags = merge(var.tags, { "terraform-module" = "signed-import" })
}
