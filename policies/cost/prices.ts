// THE price table (one module: the cost policy and the offline plan both read it).
//
// us-east-1, on-demand list prices in USD, Linux, as AWS publishes them on
// aws.amazon.com/sagemaker/pricing, aws.amazon.com/ec2/pricing/on-demand and
// aws.amazon.com/lambda/pricing. They were compiled from those published rates without live access
// to the pages (this project is built offline), so PRICES_AS_OF is the date the table was last
// reviewed, and every figure the estimate prints repeats it: an estimate, never a quote. Check the
// pages and bump the date when you update a price.

export const PRICES_AS_OF = "2026-11-21";
export const PRICE_REGION = "us-east-1";

/** Hours in a month for always-on resources (AWS's own convention: 730). */
export const HOURS_PER_MONTH = 730;

/**
 * Assumed saving of managed spot training (SageMaker) and EC2 spot over on-demand. AWS advertises
 * "up to 90%"; 60% is a conservative mid value for m5/g4dn in us-east-1. It is an assumption, not a
 * price: spot prices float, and a spot job is never billed more than on-demand.
 */
export const SPOT_DISCOUNT = 0.6;

/**
 * SageMaker ml.* instance hourly prices. SageMaker bills notebooks, training and real-time hosting
 * per instance-hour; for the families below the three list prices are the same or within 2%, so
 * one rate per type is used (the hosting rate).
 */
export const SAGEMAKER_USD_PER_HOUR: Readonly<Record<string, number>> = {
    "ml.t3.medium": 0.05,
    "ml.t3.large": 0.1,
    "ml.t3.xlarge": 0.2,
    "ml.t3.2xlarge": 0.399,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.m5.12xlarge": 2.765,
    "ml.m5.24xlarge": 5.53,
    "ml.c5.large": 0.102,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.c5.4xlarge": 0.816,
    "ml.c5.9xlarge": 1.836,
    "ml.c5.18xlarge": 3.672,
    "ml.g4dn.xlarge": 0.736,
    "ml.g4dn.2xlarge": 0.94,
    "ml.g4dn.4xlarge": 1.505,
    "ml.g4dn.8xlarge": 2.72,
    "ml.g4dn.12xlarge": 4.89,
    "ml.g4dn.16xlarge": 5.44,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
    "ml.g5.4xlarge": 2.03,
    "ml.g5.8xlarge": 3.06,
    "ml.g5.12xlarge": 7.09,
    "ml.g5.24xlarge": 10.18,
    "ml.g5.48xlarge": 20.36,
    "ml.p3.2xlarge": 3.825,
    "ml.p3.8xlarge": 14.688,
    "ml.p3.16xlarge": 28.152,
    "ml.p4d.24xlarge": 37.688,
};

/** EC2 on-demand Linux hourly prices. */
export const EC2_USD_PER_HOUR: Readonly<Record<string, number>> = {
    "t3.micro": 0.0104,
    "t3.small": 0.0208,
    "t3.medium": 0.0416,
    "g4dn.xlarge": 0.526,
    "g4dn.2xlarge": 0.752,
    "g4dn.4xlarge": 1.204,
    "g4dn.8xlarge": 2.176,
    "g4dn.12xlarge": 3.912,
    "g5.xlarge": 1.006,
    "g5.2xlarge": 1.212,
    "g5.4xlarge": 1.624,
    "g5.8xlarge": 2.448,
    "g5.12xlarge": 5.672,
    "g6.xlarge": 0.8048,
    "g6.2xlarge": 0.9776,
    "p3.2xlarge": 3.06,
    "p3.8xlarge": 12.24,
};

/** Lambda provisioned concurrency (x86), per GB-second that it is configured, idle or not. */
export const LAMBDA_PROVISIONED_USD_PER_GB_SECOND = 0.0000041667;

/** SageMaker ML storage (notebook and training volumes), per GB-month. */
export const SAGEMAKER_STORAGE_USD_PER_GB_MONTH = 0.14;

/** EBS volumes per GB-month, by volume type. */
export const EBS_USD_PER_GB_MONTH: Readonly<Record<string, number>> = {
    gp3: 0.08,
    gp2: 0.1,
    io1: 0.125,
    io2: 0.125,
    st1: 0.045,
    sc1: 0.015,
    standard: 0.05,
};

/** Provisioned IOPS per IOPS-month (first tier), for the volume types that bill them separately. */
export const EBS_IOPS_USD_PER_MONTH: Readonly<Record<string, number>> = {
    io1: 0.065,
    io2: 0.065,
};

/** A customer-managed KMS key, per month. */
export const KMS_KEY_USD_PER_MONTH = 1.0;

/** A standard-resolution CloudWatch metric alarm, per month. */
export const CLOUDWATCH_ALARM_USD_PER_MONTH = 0.1;

/**
 * The EC2 trainer shuts itself down when training ends, so it is not always-on; its worst case is
 * priced for this many hours (its user data has no runtime cap of its own).
 */
export const EC2_TRAINER_RUN_HOURS = 8;
