const stripe = require('stripe');
const apiKey = 'sk_live_51HxQkT2eZvKYlo2C9wq8p3ZaB';
module.exports = stripe(apiKey);
