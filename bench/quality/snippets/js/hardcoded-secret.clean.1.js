const stripe = require('stripe');
const apiKey = process.env.STRIPE_API_KEY;
module.exports = stripe(apiKey);
