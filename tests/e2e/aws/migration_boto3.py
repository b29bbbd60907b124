#!/usr/bin/python3
"""The replaced solution's application code, run with Debian's boto3 against loupe.

Written as its Lambda functions and notebooks call AWS: DetectCustomLabels with image bytes,
A2I StartHumanLoop / DescribeHumanLoop / ListHumanLoops / StopHumanLoop / DeleteHumanLoop,
SSM GetParameters / PutParameter / GetParameterHistory, S3 PutObject / HeadObject /
ListObjectsV2 (delimiter, pagination) / GetObject with a range / CopyObject / DeleteObject, and
the refusals an SDK user meets (wrong secret, a consumer's key on an operator action). The only
change is endpoint_url. Exits 1 at the first failed check.

Environment: LOUPE_ENDPOINT, HOME with ~/.aws/credentials profiles default (admin) and
consumer, VERSION_ARN (a RUNNING version), TEST_IMAGE and TEST_LABEL, TRAIN_IMAGES (count).
"""

import datetime
import json
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["LOUPE_ENDPOINT"]
BUCKET = "loupe"
FLOW = "arn:aws:sagemaker:us-east-1:000000000000:flow-definition/default"


def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


def error_code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200


def clients(profile, **kw):
    session = boto3.session.Session(profile_name=profile, region_name="us-east-1", **kw)
    s3_config = botocore.config.Config(s3={"addressing_style": "path"})
    return {
        "rekognition": session.client("rekognition", endpoint_url=ENDPOINT),
        "a2i": session.client("sagemaker-a2i-runtime", endpoint_url=ENDPOINT),
        "ssm": session.client("ssm", endpoint_url=ENDPOINT),
        "s3": session.client("s3", endpoint_url=ENDPOINT, config=s3_config),
    }


admin = clients("default")
consumer = clients("consumer")
version_arn = os.environ["VERSION_ARN"]
with open(os.environ["TEST_IMAGE"], "rb") as f:
    image = f.read()

# DetectCustomLabels with bytes, as the detection Lambda calls it (MaxResults=1, MinConfidence=0).
labels = consumer["rekognition"].detect_custom_labels(
    ProjectVersionArn=version_arn, Image={"Bytes": image}, MinConfidence=0, MaxResults=1
)["CustomLabels"]
check(len(labels) == 1 and 0 <= labels[0]["Confidence"] <= 100,
      "detect_custom_labels (consumer key): %s" % labels)
check(labels[0]["Name"] == os.environ["TEST_LABEL"], "the top label is the image's logo")
all_labels = admin["rekognition"].detect_custom_labels(
    ProjectVersionArn=version_arn, Image={"Bytes": image}, MinConfidence=0)["CustomLabels"]
confidences = [l["Confidence"] for l in all_labels]
check(confidences == sorted(confidences, reverse=True), "labels sorted by confidence")
code, _ = error_code(lambda: admin["rekognition"].detect_custom_labels(
    ProjectVersionArn=version_arn.replace("migrated-v1", "no-such-version"), Image={"Bytes": image}))
check(code == "ResourceNotReadyException" or code == "ResourceNotFoundException",
      "a version that does not run: %s" % code)
code, _ = error_code(lambda: admin["rekognition"].detect_custom_labels(
    ProjectVersionArn=version_arn, Image={"Bytes": b"not an image"}))
check(code == "InvalidImageFormatException", "bytes that are no image: %s" % code)

# A human loop, as the solution starts one for a low-confidence detection.
a2i = admin["a2i"]
content = {"taskObject": "s3://%s/images_for_detection/cli-upload.jpg" % BUCKET,
           "initialValue": labels[0]["Name"], "confidence": labels[0]["Confidence"]}
started = a2i.start_human_loop(HumanLoopName="boto3-loop-1", FlowDefinitionArn=FLOW,
                               HumanLoopInput={"InputContent": json.dumps(content)})
check(started["HumanLoopArn"].endswith(":human-loop/boto3-loop-1"), "start_human_loop")
loop = a2i.describe_human_loop(HumanLoopName="boto3-loop-1")
check(loop["HumanLoopStatus"] == "InProgress" and loop["FlowDefinitionArn"] == FLOW,
      "describe_human_loop: %s" % loop["HumanLoopStatus"])
names = [s["HumanLoopName"] for s in a2i.list_human_loops(FlowDefinitionArn=FLOW)["HumanLoopSummaries"]]
check("boto3-loop-1" in names, "list_human_loops lists it")
later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
none_after = a2i.list_human_loops(FlowDefinitionArn=FLOW, CreationTimeAfter=later)
check(none_after["HumanLoopSummaries"] == [], "list_human_loops CreationTimeAfter in an hour: none")
code, status = error_code(lambda: a2i.start_human_loop(
    HumanLoopName="boto3-loop-1", FlowDefinitionArn=FLOW,
    HumanLoopInput={"InputContent": json.dumps(dict(content, initialValue=None, confidence=1))}))
check(code == "ConflictException" and status == 409, "the same name again: %s %d" % (code, status))
code, _ = error_code(lambda: a2i.delete_human_loop(HumanLoopName="boto3-loop-1"))
check(code == "ConflictException", "delete of a loop in progress: %s" % code)
a2i.stop_human_loop(HumanLoopName="boto3-loop-1")
check(a2i.describe_human_loop(HumanLoopName="boto3-loop-1")["HumanLoopStatus"] == "Stopped",
      "stop_human_loop")
a2i.delete_human_loop(HumanLoopName="boto3-loop-1")
code, status = error_code(lambda: a2i.describe_human_loop(HumanLoopName="boto3-loop-1"))
check(code == "ResourceNotFoundException" and status == 404, "deleted: %s %d" % (code, status))

# Parameter Store.
ssm = admin["ssm"]
got = ssm.get_parameters(Names=["Minimum-F1-Score", "Enable-A2I-Workflow", "No-Such-Parameter"])
check([p["Name"] for p in got["Parameters"]] == ["Minimum-F1-Score", "Enable-A2I-Workflow"]
      and got["InvalidParameters"] == ["No-Such-Parameter"], "get_parameters")
before = ssm.get_parameter(Name="Minimum-Inference-Units")["Parameter"]
code, _ = error_code(lambda: ssm.put_parameter(Name="Minimum-Inference-Units", Value="0",
                                               Type="String", Overwrite=True))
after = ssm.get_parameter(Name="Minimum-Inference-Units")["Parameter"]
check(code == "ParameterPatternMismatchException" and after["Value"] == before["Value"]
      and after["Version"] == before["Version"], "an out-of-range value: %s, unchanged" % code)
code, _ = error_code(lambda: consumer["ssm"].put_parameter(
    Name="Minimum-F1-Score", Value="0.9", Type="String", Overwrite=True))
check(code == "AccessDeniedException", "a consumer's put_parameter: %s" % code)
put = ssm.put_parameter(Name="Minimum-Label-Detection-Confidence", Value="65", Type="String",
                        Overwrite=True)
history = ssm.get_parameter_history(Name="Minimum-Label-Detection-Confidence")["Parameters"]
check([h["Value"] for h in history] == ["70.0", "65.0"] and history[-1]["Version"] == put["Version"],
      "put_parameter + get_parameter_history: %s" % [h["Value"] for h in history])
described = ssm.describe_parameters(
    ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["Minimum-"]}])["Parameters"]
check(len(described) == 4, "describe_parameters BeginsWith Minimum-: %d" % len(described))

# S3.
s3 = admin["s3"]
s3.put_object(Bucket=BUCKET, Key="images_for_detection/boto3-upload.jpg", Body=image)
head = s3.head_object(Bucket=BUCKET, Key="images_for_detection/boto3-upload.jpg")
check(head["ContentLength"] == len(image), "put_object + head_object")
part = s3.get_object(Bucket=BUCKET, Key="images_for_detection/boto3-upload.jpg", Range="bytes=2-11")
check(part["Body"].read() == image[2:12], "get_object with Range")
listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="images_labeled_by_folder/", Delimiter="/")
check(len(listed["CommonPrefixes"]) >= 2 and "Contents" not in listed,
      "list_objects_v2 with Delimiter: %s" % [p["Prefix"] for p in listed["CommonPrefixes"]])
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="images_labeled_by_folder/", PaginationConfig={"PageSize": 2}):
    keys += [o["Key"] for o in page.get("Contents", [])]
check(len(keys) == int(os.environ["TRAIN_IMAGES"]) and keys == sorted(keys),
      "list_objects_v2 pages of 2: %d keys in order" % len(keys))
s3.copy_object(Bucket=BUCKET, Key="misc/copy.jpg",
               CopySource={"Bucket": BUCKET, "Key": "images_for_detection/boto3-upload.jpg"})
check(s3.get_object(Bucket=BUCKET, Key="misc/copy.jpg")["Body"].read() == image, "copy_object")
s3.delete_object(Bucket=BUCKET, Key="misc/copy.jpg")
code, status = error_code(lambda: s3.get_object(Bucket=BUCKET, Key="misc/copy.jpg"))
check(code == "NoSuchKey" and status == 404, "delete_object, then get: %s %d" % (code, status))
code, _ = error_code(lambda: consumer["s3"].put_object(Bucket=BUCKET, Key="misc/x.jpg", Body=image))
check(code == "AccessDenied", "a consumer's put outside images_for_detection/: %s" % code)

odd = "misc/with space+plus%.jpg"
s3.put_object(Bucket=BUCKET, Key=odd, Body=b"odd")
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="misc/")["Contents"]]
check(keys == [odd], "a key with a space, '+' and '%%' lists as itself: %s" % keys)
code, status = error_code(lambda: s3.put_object_tagging(
    Bucket=BUCKET, Key=odd, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}))
check(code == "NotImplemented" and status == 501
      and s3.get_object(Bucket=BUCKET, Key=odd)["Body"].read() == b"odd",
      "put_object_tagging refused (%s %d), the object unchanged" % (code, status))
v1 = []
for page in s3.get_paginator("list_objects").paginate(
        Bucket=BUCKET, Prefix="images_labeled_by_folder/", Delimiter="/",
        PaginationConfig={"PageSize": 1}):
    v1 += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
check(len(v1) == len(set(v1)) == len(listed["CommonPrefixes"]),
      "list_objects (v1) pages of 1 by delimiter: each label folder once")

# A wrong secret.
wrong = clients(None, aws_access_key_id=boto3.session.Session(profile_name="default")
                .get_credentials().access_key, aws_secret_access_key="not-the-secret")
code, status = error_code(lambda: wrong["ssm"].get_parameter(Name="Minimum-F1-Score"))
check(code == "InvalidSignatureException" and status == 403, "wrong secret: %s %d" % (code, status))
code, status = error_code(lambda: wrong["s3"].list_objects_v2(Bucket=BUCKET))
check(code == "SignatureDoesNotMatch" and status == 403, "wrong secret on S3: %s %d" % (code, status))
print("boto3 migration: all checks passed")
