import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import './styles/theme.css'
import './styles/base.css'
import './styles/layout.css'
import { getApi } from './api'
import { App } from './App'
import { Notices } from './components/Notices'

// Reads (and hides) the browser-mode token before anything else touches the URL.
getApi()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Notices>
      <App />
    </Notices>
  </StrictMode>
)
