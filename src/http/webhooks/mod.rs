pub mod razorpay;
