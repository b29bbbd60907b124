#!/usr/bin/env bash
# An operator's script from the replaced AWS solution, run with the real aws CLI (Debian's
# awscli) against loupe: the only change is --endpoint-url. Lowers the thresholds in Parameter
# Store, drops labelled images into the bucket, trains a project version and waits for it,
# starts it, uploads an image for detection and reads the result, calls DetectCustomLabels,
# and checks that an invalid parameter value, a bad signature and a revoked key fail as the
# CLI expects. Every check prints what it saw; the first failure ends the script (exit 1).
#
# Environment: LOUPE_ENDPOINT (http://127.0.0.1:PORT), HOME with ~/.aws/credentials profiles
# default (an admin's key) and revoked (a revoked key), TRAIN_DIR (label folders of images),
# UPLOAD_IMAGE (an image of UPLOAD_LABEL), WAIT_SECONDS (deadline of each wait).
set -euo pipefail

AWS=(/usr/bin/aws --endpoint-url "$LOUPE_ENDPOINT" --no-cli-pager)
BUCKET=loupe
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { echo "ok: $*"; }
# Polls "$@" until it succeeds or WAIT_SECONDS pass.
wait_for() {
  local what=$1; shift
  local until=$((SECONDS + WAIT_SECONDS))
  until "$@"; do
    [ "$SECONDS" -lt "$until" ] || fail "timed out waiting for $what"
    sleep 1
  done
}

# 1. The operator parameters: manual training, a low F1 gate, training on any new image.
"${AWS[@]}" ssm put-parameter --name Enable-Automatic-Training --value false --type String --overwrite >/dev/null
"${AWS[@]}" ssm put-parameter --name Minimum-F1-Score --value 0.0 --type String --overwrite >/dev/null
"${AWS[@]}" ssm put-parameter --name Minimum-Untrained-Images --value 1 --type String --overwrite >/dev/null
f1=$("${AWS[@]}" ssm get-parameter --name Minimum-F1-Score --query Parameter.Value --output text)
[ "$f1" = "0.0" ] || fail "Minimum-F1-Score reads '$f1' after put-parameter 0.0"
check "ssm put-parameter / get-parameter: Minimum-F1-Score=$f1"

# An invalid value is refused the SSM way and changes nothing.
if "${AWS[@]}" ssm put-parameter --name Minimum-Label-Detection-Confidence --value "very high" \
    --type String --overwrite 2>err.txt; then
  fail "put-parameter accepted 'very high'"
fi
grep -q ParameterPatternMismatchException err.txt || fail "unexpected error: $(cat err.txt)"
conf=$("${AWS[@]}" ssm get-parameter --name Minimum-Label-Detection-Confidence --query Parameter.Value --output text)
[ "$conf" = "70.0" ] || fail "Minimum-Label-Detection-Confidence changed to '$conf'"
check "invalid value refused ($(grep -o ParameterPatternMismatchException err.txt)), value still $conf"
# Without --overwrite an existing parameter is not replaced.
if "${AWS[@]}" ssm put-parameter --name Minimum-F1-Score --value 0.5 --type String 2>err.txt; then
  fail "put-parameter without --overwrite replaced a parameter"
fi
grep -q ParameterAlreadyExists err.txt || fail "unexpected error: $(cat err.txt)"
check "put-parameter without --overwrite: ParameterAlreadyExists"

# 2. The labelled images, straight into the training folders of the bucket.
"${AWS[@]}" s3 cp --recursive --no-progress "$TRAIN_DIR" "s3://$BUCKET/images_labeled_by_folder/" >/dev/null
labels=$("${AWS[@]}" s3 ls "s3://$BUCKET/images_labeled_by_folder/" | grep -c ' PRE ')
expected=$(find "$TRAIN_DIR" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$labels" = "$expected" ] || fail "s3 ls shows $labels label folders, expected $expected"
images=$("${AWS[@]}" s3 ls --recursive "s3://$BUCKET/images_labeled_by_folder/" | wc -l)
[ "$images" = "$(find "$TRAIN_DIR" -type f | wc -l)" ] || fail "s3 ls --recursive shows $images images"
check "s3 cp --recursive: $images images in $labels label folders"

# 3. Train a project version and wait for it.
project=$("${AWS[@]}" rekognition describe-projects --query 'ProjectDescriptions[0].ProjectArn' --output text)
version_arn=$("${AWS[@]}" rekognition create-project-version --project-arn "$project" \
  --version-name migrated-v1 --output-config "S3Bucket=$BUCKET,S3KeyPrefix=training-output/" \
  --query ProjectVersionArn --output text)
describe() {
  "${AWS[@]}" rekognition describe-project-versions --project-arn "$project" \
    --version-names migrated-v1 --query "ProjectVersionDescriptions[0].$1" --output text
}
trained() {
  local s; s=$(describe Status)
  [ "$s" != TRAINING_FAILED ] || fail "training failed: $(describe StatusMessage)"
  [ "$s" = TRAINING_COMPLETED ]
}
wait_for "training of migrated-v1" trained
f1_score=$(describe EvaluationResult.F1Score)
billed=$(describe BillableTrainingTimeInSeconds)
[ "$f1_score" != None ] || fail "no EvaluationResult.F1Score"
check "create-project-version $version_arn: TRAINING_COMPLETED, F1 $f1_score, ${billed}s"

# 4. Start it (the first running version also becomes loupe's production version).
"${AWS[@]}" rekognition start-project-version --project-version-arn "$version_arn" --min-inference-units 1 >/dev/null
running() { [ "$(describe Status)" = RUNNING ]; }
wait_for "migrated-v1 RUNNING" running
check "start-project-version: RUNNING"

# 5. An upload for detection, as the consumers of the replaced solution make them.
"${AWS[@]}" s3 cp --no-progress "$UPLOAD_IMAGE" "s3://$BUCKET/images_for_detection/cli-upload.jpg" >/dev/null
detected() {
  "${AWS[@]}" s3api head-object --bucket "$BUCKET" --key detection_results/cli-upload.jpg.json >/dev/null 2>&1
}
wait_for "the detection of the upload" detected
"${AWS[@]}" s3 cp --no-progress "s3://$BUCKET/detection_results/cli-upload.jpg.json" result.json >/dev/null
grep -q '"CustomLabels"' result.json || fail "detection result without CustomLabels: $(cat result.json)"
check "s3 cp into images_for_detection/: detection_results/cli-upload.jpg.json written"

top=$("${AWS[@]}" rekognition detect-custom-labels --project-version-arn "$version_arn" \
  --image "S3Object={Bucket=$BUCKET,Name=images_for_detection/cli-upload.jpg}" \
  --min-confidence 0 --max-results 1 --query 'CustomLabels[0].Name' --output text)
[ "$top" = "$UPLOAD_LABEL" ] || fail "detect-custom-labels says '$top', the image shows $UPLOAD_LABEL"
check "detect-custom-labels: $top"

# A file above the CLI's 8 MiB threshold goes up in parts and comes down in ranges.
head -c 9437184 /dev/urandom > big.bin
"${AWS[@]}" s3 cp --no-progress big.bin "s3://$BUCKET/misc/big.bin" >/dev/null
"${AWS[@]}" s3 cp --no-progress "s3://$BUCKET/misc/big.bin" big-back.bin >/dev/null
cmp -s big.bin big-back.bin || fail "the 9 MiB object came back different"
"${AWS[@]}" s3 rm "s3://$BUCKET/misc/big.bin" >/dev/null
check "s3 cp of 9 MiB (multipart up, ranged down), s3 rm"

# 6. Refusals as AWS words them.
if AWS_SECRET_ACCESS_KEY=not-the-secret AWS_ACCESS_KEY_ID=$("${AWS[@]}" configure get aws_access_key_id) \
    "${AWS[@]}" ssm get-parameter --name Minimum-F1-Score 2>err.txt >/dev/null; then
  fail "a wrong secret was accepted"
fi
grep -q InvalidSignatureException err.txt || fail "unexpected error: $(cat err.txt)"
if AWS_SECRET_ACCESS_KEY=not-the-secret AWS_ACCESS_KEY_ID=$("${AWS[@]}" configure get aws_access_key_id) \
    "${AWS[@]}" s3 ls "s3://$BUCKET/" 2>err.txt >/dev/null; then
  fail "a wrong secret was accepted by S3"
fi
grep -q SignatureDoesNotMatch err.txt || fail "unexpected error: $(cat err.txt)"
check "wrong secret: InvalidSignatureException (ssm), SignatureDoesNotMatch (s3)"
if "${AWS[@]}" --profile revoked ssm get-parameter --name Minimum-F1-Score 2>err.txt >/dev/null; then
  fail "a revoked key was accepted"
fi
grep -q UnrecognizedClientException err.txt || fail "unexpected error: $(cat err.txt)"
check "revoked key: UnrecognizedClientException"
echo "VERSION_ARN=$version_arn"
